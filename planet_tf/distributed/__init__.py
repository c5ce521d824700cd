"""Distributed PlaNet on Reverb: a replay server, N actors and one learner, each
its own operating-system process (on one machine or several).

The shape of TF-Agents' `experimental/distributed/examples/sac/`: `replay_server`
serves a `windows` table (one item per L-step window inside an episode, sampled
uniformly under a `SampleToInsertRatio` limiter) and a `variables` table (the
world model's weights); `actor` collects episodes with `tf_agents.train.actor`
and writes them both to Reverb and to the run directory (the source of truth);
`learner` trains the agent with `tf_agents.train.learner.Learner` under a
`tf.distribute` strategy and pushes the weights every C updates. `tables` holds
what all three agree on; `episodes` reads and stores the run directory's
episodes, `rows` writes and rebuilds their `returns.csv` rows.

dm-reverb is optional (the `reverb` extra): it is imported lazily, so importing
these modules (as `planet_tf.config` does for gin) never needs it.
"""
