"""Experience: episodes stored on disk and sampled as `[B, L]` chunks (`replay`),
GLAMOR's relabelled examples (`relabel`, `hindsight_replay`), every episode's
runner and its return (`episode_runner`), and a training loop's metrics of
the episodes it collects (`collect`)."""
