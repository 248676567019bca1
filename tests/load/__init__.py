"""Load test of the real app stack (``make load``): see :mod:`tests.load.run_load`."""
