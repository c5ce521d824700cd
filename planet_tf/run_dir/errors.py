"""Why a run directory refuses to start: each error names the problem.

Every refusal leaves the directory as it was found.
"""


class ConfigMismatchError(ValueError):
  """The root_dir holds a run whose configuration differs from this one."""


class CheckpointError(RuntimeError):
  """A checkpoint of the run exists but cannot be restored."""


class RunLockedError(RuntimeError):
  """Another process is training in the same root_dir."""
