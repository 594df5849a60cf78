"""`c7to8 --dashboard`: a read-only local web page over the tracking table and a run's progress file."""
