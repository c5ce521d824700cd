"""What a run shows: policies' episodes (`episodes`), GLAMOR's goal success
(`goals`), TensorBoard summaries and videos (`summaries`), and learning curves
read back from `returns.csv` (`learning_curve`)."""
