"""lydspor software-defined assets, one sub-package per domain."""
