"""A Gaussian squashed by tanh into (-1, 1), with a defined greedy action (`mode`)."""

import tensorflow as tf
import tensorflow_probability as tfp

tfd = tfp.distributions
tfb = tfp.bijectors


class TanhNormal(tfd.TransformedDistribution):
  """`tanh(x)`, `x ~ Normal(loc, scale)`: Dreamer's action distribution.

  Samples are reparameterized, so a loss on them differentiates into `loc` and
  `scale`. `mode()` is defined as `tanh(loc)`, the greedy action: tanh is
  monotonic, so this is the median of every dimension. (The density's own mode
  has no closed form and moves to the bounds ±1 as `scale` grows; Dreamer's code
  takes the most likely of 100 samples instead, which is random.) `mean()` and
  `entropy()` have no closed form and are not defined.
  """

  def __init__(self, loc, scale, validate_args=False, allow_nan_stats=True,
               name='TanhNormal'):
    """Args:
      loc: float `[..., A]`, the Gaussian's mean before the tanh.
      scale: float `[..., A]`, its standard deviation (> 0).
      validate_args, allow_nan_stats, name: as every TFP distribution.
    """
    parameters = dict(locals())
    with tf.name_scope(name) as name:
      super().__init__(
          distribution=tfd.Normal(loc=loc, scale=scale),
          bijector=tfb.Tanh(), validate_args=validate_args,
          parameters=parameters, name=name)

  @classmethod
  def _parameter_properties(cls, dtype, num_classes=None):
    return dict(
        loc=tfp.util.ParameterProperties(),
        scale=tfp.util.ParameterProperties(
            default_constraining_bijector_fn=tfb.Softplus))

  @property
  def loc(self):
    """The Gaussian's mean before the tanh."""
    return self.distribution.loc

  @property
  def scale(self):
    """The Gaussian's standard deviation before the tanh."""
    return self.distribution.scale

  experimental_is_sharded = False

  def _mode(self):
    return tf.tanh(self.distribution.loc)
