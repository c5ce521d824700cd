"""Where everything of a run lives, and finding a run's exported policy."""

import dataclasses
import glob
import os

CONFIG_FILE = 'config.gin'
OPERATIVE_CONFIG_FILE = 'operative_config.gin'


@dataclasses.dataclass(frozen=True)
class RunDir:
  """The paths of a run directory (docs/architecture.md, "Outputs of a run").

  ```
  train/          ckpt-<train step>.*, checkpoint, events, config.gin, .lock,
                  episodes/episode-*.npz, goals.npz (GLAMOR)
  eval/           events, videos/episode-<episodes>-<i>.gif, returns.csv,
                  timing.csv
  open_loop/      episode-<episodes>.gif
  policies/<n>/   SavedModel of the greedy policy, n = train steps
                  (policies/<n>-<head>/, one per reward head, with named rewards)
  operative_config.gin
  ```
  """
  root: str

  @property
  def train_dir(self):
    return os.path.join(self.root, 'train')

  @property
  def eval_dir(self):
    return os.path.join(self.root, 'eval')

  @property
  def episodes_dir(self):
    return os.path.join(self.train_dir, 'episodes')

  @property
  def videos_dir(self):
    return os.path.join(self.eval_dir, 'videos')

  @property
  def timing_path(self):
    """Wall-clock and CPU seconds of the run's work (`run_dir.timing`)."""
    return os.path.join(self.eval_dir, 'timing.csv')

  @property
  def open_loop_dir(self):
    return os.path.join(self.root, 'open_loop')

  @property
  def policies_dir(self):
    return os.path.join(self.root, 'policies')

  @property
  def config_path(self):
    """The configuration stored at the run's first start."""
    return os.path.join(self.train_dir, CONFIG_FILE)

  @property
  def operative_config_path(self):
    """What the run used, defaults included (rewritten with each checkpoint)."""
    return os.path.join(self.root, OPERATIVE_CONFIG_FILE)

  @property
  def returns_path(self):
    return os.path.join(self.eval_dir, 'returns.csv')

  @property
  def goals_path(self):
    """A GLAMOR run's goals (`envs.goal_suite.save_goal_set`)."""
    return os.path.join(self.train_dir, 'goals.npz')

  @property
  def lock_path(self):
    return os.path.join(self.train_dir, '.lock')

  def policy_dir(self, step, head=None):
    """The export of train step `step`: `policies/<step>`, or
    `policies/<step>-<head>` for the policy that plans with reward head `head`."""
    return os.path.join(self.policies_dir, str(int(step)) +
                        ('' if head is None else f'-{head}'))


def policy_dir(root_dir, step, head=None):
  """The export directory of step `step` of a run: `<root_dir>/policies/<step>`
  (`<step>-<head>` for reward head `head`)."""
  return RunDir(root_dir).policy_dir(step, head)


def head_of_policy_dir(policy_dir):
  """The reward head of an export `policies/<step>-<head>`, else None."""
  step, dash, head = os.path.basename(os.path.normpath(policy_dir)).partition(
      '-')
  return head if dash and step.isdigit() and head else None


def find_policy_dir(path, reward_head=None):
  """Resolves a SavedModel policy directory from a SavedModel or a run directory.

  Args:
    path: a directory holding `saved_model.pb`, or a run's `root_dir`, whose
      newest export under `policies/<step>/` is taken.
    reward_head: for a run directory, take the newest export of this reward
      head instead (`policies/<step>-<head>/`).

  Returns:
    The SavedModel directory.

  Raises:
    FileNotFoundError: if `path` is neither, naming what was looked for; if
      a run exported heads but not `reward_head`, naming them; or if
      `reward_head` is given for a run of one unnamed reward.
  """
  if os.path.isfile(os.path.join(path, 'saved_model.pb')):
    return path
  found = [os.path.dirname(p) for p in glob.glob(
      os.path.join(RunDir(path).policies_dir, '*', 'saved_model.pb'))]
  if reward_head is None:
    exports = [d for d in found if os.path.basename(d).isdigit()]
  else:
    exports = [d for d in found if head_of_policy_dir(d) == reward_head]
  if not exports:
    heads = sorted({head_of_policy_dir(d) for d in found} - {None})
    if heads and reward_head is not None:
      raise FileNotFoundError(
          f'{reward_head!r} is not a reward head of {path}: it exported the '
          f'heads {", ".join(heads)}; pass one of them as --reward_head.')
    if reward_head is not None and any(
        os.path.basename(d).isdigit() for d in found):
      raise FileNotFoundError(
          f'{path} has no reward heads to choose from: it exports the policy '
          f'of its only reward (policies/<step>/); drop --reward_head='
          f'{reward_head}.')
    wanted = ('policies/<step>/' if reward_head is None
              else f'policies/<step>-{reward_head}/')
    raise FileNotFoundError(
        f'{path} is neither a SavedModel directory (no saved_model.pb) nor a run '
        f'directory with an exported policy under {wanted}' +
        (f' (it exported the reward heads {", ".join(heads)}: pass one as '
         '--reward_head).' if heads else '.'))
  return max(exports, key=lambda d: int(os.path.basename(d).partition('-')[0]))


def find_run_dir(policy_dir):
  """Returns the run directory of an export (`<root>/policies/<step>`), or None.

  A run directory is recognised by its `operative_config.gin`.
  """
  for candidate in (policy_dir, os.path.dirname(os.path.dirname(policy_dir))):
    if os.path.isfile(RunDir(candidate).operative_config_path):
      return candidate
  return None
