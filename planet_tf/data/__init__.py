"""Experience: episodes stored on disk and sampled as `[B, L]` chunks (`replay`),
GLAMOR's relabelled examples (`relabel`, `hindsight_replay`), and collecting
episodes through TF-Agents drivers (`collect`)."""
