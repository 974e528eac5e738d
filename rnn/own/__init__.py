"""Your sentences: a teacher's labelled sentences become a tiny GRU and the video's feed-forward network, trained
live on a shared server. data: the CSV and its checks; datasets: ready-made ones; model: the two networks and
predict(); engine: the bounded training and the one-at-a-time queue; bundle: save, zip and load; cli: rnn.train own."""
