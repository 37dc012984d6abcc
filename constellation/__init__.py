"""The physical world of satcoop: orbits, frames, ground users and the NTN channel.

Pure numpy / sgp4 / skyfield. Nothing here imports ``agents`` or ``network``,
and nothing here knows about Ray or torch. SI units inside (metres, seconds,
radians, watts) unless a name says otherwise (``altitude_km``, ``lat_deg``).
"""
