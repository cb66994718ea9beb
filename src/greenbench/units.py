"""Unit constants shared by every package (energy, carbon, metrics), defined once.

Like :mod:`greenbench.errors`, it imports nothing, so any package may use it whatever
``DESIGN.md`` lets it import otherwise.
"""

#: Joules in one kilowatt-hour: 1000 W x 3600 s.
J_PER_KWH = 3.6e6
#: Joules in one watt-hour: 3600 s x 1 W.
J_PER_WH = 3600.0
