"""The lydspor application, the top layer: the command line (``lydspor.cli``), the in-process
pipeline runner behind ``lydspor run``/``demo`` (``lydspor.demo``) and the notebook runner."""
