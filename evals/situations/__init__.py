"""The situation data (guide, train/dev pool, blind test and paraphrase sets) and the tools that split, train and
score the situation model: ``python -m evals situations split | train | report``."""
