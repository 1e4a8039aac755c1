"""Classification tasks of the research modules (registered in :mod:`spikeagents.classify.tasks`):

- ``mnist-ann``: the docs' ReLU CNN for ANN-to-SNN conversion, trained as an ANN.
- ``mnist-cnn``: a ReLU CNN with max pooling, a residual block, dropout and BatchNorm1d.
- ``mnist-tempotron``: one layer of Tempotrons on Gaussian-tuning spike times.
"""
