"""c7to8: move Camunda 7 data (history, runtime, identity) into Camunda 8."""

__version__ = "0.1.0"
