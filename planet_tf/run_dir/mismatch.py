"""How a refused resume reads: the difference that decides it first, the rest
counted, on one line."""

# The binding that names a run's agent kind (`train.loop`): when it differs,
# every other difference follows from it.
DECISIVE = ('train.loop',)
# Differences shown in full; the rest are counted.
SHOWN = 3


def describe(key, stored, now):
  """One difference: `'<key>: <stored> in the stored run, <now> now'`."""
  return f'{key}: {stored} in the stored run, {now} now'


def message(root_dir, path, differences, resumable, name):
  """The one line that refuses to resume a run of another configuration.

  Args:
    root_dir: the run directory.
    path: its stored configuration (`train/config.gin`).
    differences: `[(key, stored value, value now)]`, non-empty, sorted by key.
    resumable: settings of the loop `name` that may differ on resume.
    name: the loop's gin name.

  Returns:
    str: the decisive difference (another agent kind) first, else the first
    `SHOWN` differences, then how many more there are, and what to do.
  """
  decisive = [d for d in differences if d[0] in DECISIVE]
  others = [d for d in differences if d[0] not in DECISIVE]
  if decisive:
    return (
        f'root_dir {root_dir} holds a run of another agent kind than '
        f'{name} ({path}): {"; ".join(describe(*d) for d in decisive)}' +
        (f'; {len(others)} more settings differ with it, e.g. '
         f'{"; ".join(describe(*d) for d in others[:SHOWN])}' if others
         else '') +
        '. Resume it with the gin files it was trained with, or choose a new '
        '--root_dir. Nothing was changed.')
  shown = '; '.join(describe(*d) for d in others[:SHOWN])
  more = len(others) - SHOWN
  return (
      f'root_dir {root_dir} holds a run with a different configuration '
      f'({path}): {shown}' + (f'; and {more} more' if more > 0 else '') +
      '. Resume it with the same gin files and bindings, or choose a new '
      f'--root_dir. Only {name}.{{{", ".join(sorted(resumable))}}} may '
      'change on resume. Nothing was changed.')
