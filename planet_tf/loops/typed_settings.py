"""What every agent kind's settings share: fields checked against their
annotations when created, before the kind's own checks.

A value of the wrong type (`glamor_train_eval.num_goals = 'many'`) is refused
naming its setting and the type it takes; the kind's checks then compare
numbers, never convert a string. A kind gets this by deriving its `Settings`
from `TypedSettings`.
"""

import collections.abc
import dataclasses
import numbers
import typing

from planet_tf.loops import registry


@dataclasses.dataclass(frozen=True)
class TypedSettings:
  """Base of every kind's frozen settings dataclass.

  `__post_init__` checks each field's type (`check_types`, named by the
  kind's gin name), then calls `check`, the kind's own checks.
  """

  def __post_init__(self):
    check_types(self, self.gin_name)
    self.check()

  @property
  def gin_name(self):
    """The kind's loop name, which prefixes the settings its errors name."""
    return _gin_name(self)

  def check(self):
    """The kind's checks of its values and of settings against each other.

    Raises:
      ValueError: naming the setting.
    """


def _gin_name(settings):
  """The kind's loop name (its settings' gin name), else the class name."""
  try:
    return registry.kind_of_settings(settings).name
  except ValueError:
    return type(settings).__name__


def check_types(settings, name):
  """Checks every field of a settings dataclass against its annotation.

  Args:
    settings: a dataclass instance.
    name: its gin name, the prefix of the settings named in an error.

  Raises:
    ValueError: for the first field whose value its annotation does not
      admit (`matches`), naming `<name>.<field>`, the type it takes and an
      example, its default.
  """
  hints = typing.get_type_hints(type(settings))
  for field in dataclasses.fields(settings):
    value = getattr(settings, field.name)
    annotation = hints.get(field.name, typing.Any)
    if not matches(value, annotation):
      example = ('' if field.default in (None, dataclasses.MISSING) else
                 f'; e.g. {name}.{field.name} = {field.default!r}')
      raise ValueError(
          f'{name}.{field.name} takes {describe(annotation)}, not {value!r} '
          f'({_article(type(value).__name__)}){example}.')


def matches(value, annotation):
  """Whether `annotation` admits `value`, as gin or a caller gives it.

  An int is a float too, 0 and 1 are bools, a list is a tuple (gin gives
  lists); an annotation it cannot read admits anything.

  Returns:
    bool.
  """
  origin, args = typing.get_origin(annotation), typing.get_args(annotation)
  if annotation is typing.Any:
    return True
  if origin is typing.Union:
    return any(matches(value, a) for a in args)
  if annotation is type(None):
    return value is None
  if annotation is bool:
    return isinstance(value, bool) or (
        isinstance(value, numbers.Integral) and value in (0, 1))
  if annotation is int:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)
  if annotation is float:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)
  if origin in (tuple, list, collections.abc.Sequence):
    if not isinstance(value, (tuple, list)):
      return False
    if origin is tuple and args and args[-1] is not Ellipsis:
      return len(value) == len(args) and all(
          matches(v, a) for v, a in zip(value, args))
    return not args or all(matches(v, args[0]) for v in value)
  if origin in (dict, collections.abc.Mapping):
    return isinstance(value, dict) and (not args or all(
        matches(k, args[0]) and matches(v, args[1]) for k, v in value.items()))
  if origin is collections.abc.Callable or annotation is typing.Callable:
    return callable(value)
  if isinstance(annotation, type):
    return isinstance(value, annotation)
  return True


def describe(annotation):
  """What an annotation admits, in words: `'an int or None'`, ..."""
  origin, args = typing.get_origin(annotation), typing.get_args(annotation)
  words = {bool: 'True or False', int: 'an int', float: 'a number',
           str: 'a string', type(None): 'None'}
  if annotation in words:
    return words[annotation]
  if origin is typing.Union:
    return ' or '.join(describe(a) for a in args)
  if origin in (tuple, list, collections.abc.Sequence):
    return f'a list (each {describe(args[0])})' if args else 'a list'
  if origin in (dict, collections.abc.Mapping):
    return (f'a dict ({describe(args[0])} to {describe(args[1])})' if args
            else 'a dict')
  if origin is collections.abc.Callable or annotation is typing.Callable:
    return 'a callable (e.g. @my_env, without parentheses)'
  return _article(getattr(annotation, '__name__', str(annotation)))


def _article(noun):
  return f'{"an" if noun[:1].lower() in "aeiou" else "a"} {noun}'
