"""The non-recurrent baselines the RNNs are measured against: the feed-forward one-hot network and the n-gram model."""
