"""Earth-fixed frames: WGS84 geodetic <-> ITRS (ECEF), local ENU bases, look angles.

All positions are ITRS Cartesian in metres, shape ``[..., 3]``; angles in
degrees where the name says ``_deg``, radians otherwise. Geodetic -> ITRS is
skyfield's ``wgs84``; ITRS -> geodetic is the closed-form inverse (Bowring's
iteration, converged to < 1 mm), tested against skyfield round trips.
"""
from __future__ import annotations

import numpy as np
from skyfield.api import wgs84

WGS84_A_M = wgs84.radius.m                       # equatorial radius, 6378137 m
WGS84_F = 1.0 / wgs84.inverse_flattening           # flattening
WGS84_E2 = WGS84_F * (2.0 - WGS84_F)               # first eccentricity squared
EARTH_MEAN_RADIUS_M = 6_371_008.8                  # IUGG mean radius (spherical models)


def geodetic_to_itrs(lat_deg, lon_deg, height_m=0.0) -> np.ndarray:
    """ITRS position [..., 3] (m) of WGS84 geodetic coordinates (broadcast together)."""
    lat_deg, lon_deg, height_m = np.broadcast_arrays(
        np.asarray(lat_deg, float), np.asarray(lon_deg, float), np.asarray(height_m, float))
    xyz = wgs84.latlon(lat_deg.ravel(), lon_deg.ravel(), elevation_m=height_m.ravel()).itrs_xyz.m
    return np.moveaxis(np.asarray(xyz).reshape(3, -1), 0, -1).reshape(lat_deg.shape + (3,))


def itrs_to_geodetic(r_m) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """WGS84 (lat_deg, lon_deg, height_m) of ITRS positions ``r_m`` [..., 3] (m)."""
    r = np.asarray(r_m, float)
    x, y, z = r[..., 0], r[..., 1], r[..., 2]
    p = np.hypot(x, y)
    lon = np.arctan2(y, x)
    b = WGS84_A_M * (1.0 - WGS84_F)
    ep2 = (WGS84_A_M**2 - b**2) / b**2
    # Bowring's initial guess then three fixed-point refinements (sub-millimetre for LEO/ground).
    beta = np.arctan2(WGS84_A_M * z, b * p)
    for _ in range(3):
        lat = np.arctan2(z + ep2 * b * np.sin(beta) ** 3, p - WGS84_E2 * WGS84_A_M * np.cos(beta) ** 3)
        beta = np.arctan2((1.0 - WGS84_F) * np.sin(lat), np.cos(lat))
    sin_lat = np.sin(lat)
    n = WGS84_A_M / np.sqrt(1.0 - WGS84_E2 * sin_lat**2)
    cos_lat = np.cos(lat)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = np.where(np.abs(cos_lat) > 1e-9, p / cos_lat - n, np.abs(z) / np.abs(sin_lat) - n * (1 - WGS84_E2))
    return np.degrees(lat), np.degrees(lon), h


def enu_basis(lat_deg, lon_deg) -> np.ndarray:
    """Rows east, north, up (unit vectors in ITRS) for geodetic (lat, lon): shape [..., 3, 3]."""
    lat = np.radians(np.asarray(lat_deg, float))
    lon = np.radians(np.asarray(lon_deg, float))
    sl, cl, so, co = np.sin(lat), np.cos(lat), np.sin(lon), np.cos(lon)
    east = np.stack([-so, co, np.zeros_like(so)], axis=-1)
    north = np.stack([-sl * co, -sl * so, cl], axis=-1)
    up = np.stack([cl * co, cl * so, sl], axis=-1)
    return np.stack([east, north, up], axis=-2)


def look_angles(ground_itrs_m, ground_lat_deg, ground_lon_deg, target_itrs_m):
    """Elevation (rad), azimuth (rad, from north towards east) and range (m) from ground to target.

    Broadcasts: ground [..., 3] with its geodetic lat/lon [...], target [..., 3].
    Elevation is geodetic (relative to the local WGS84 horizon).
    """
    los = np.asarray(target_itrs_m, float) - np.asarray(ground_itrs_m, float)
    rng = np.linalg.norm(los, axis=-1)
    enu = np.einsum("...ij,...j->...i", enu_basis(ground_lat_deg, ground_lon_deg), los)
    elevation = np.arctan2(enu[..., 2], np.hypot(enu[..., 0], enu[..., 1]))
    azimuth = np.mod(np.arctan2(enu[..., 0], enu[..., 1]), 2 * np.pi)
    return elevation, azimuth, rng
