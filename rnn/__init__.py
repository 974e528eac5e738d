"""RNN Playground: the recurrent models behind the app, their data readers, training and evaluation."""
