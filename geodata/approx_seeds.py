"""Hand-written inputs of ``build_approx``: outline, seed places and islands of Makassar.

Every coordinate here is from general knowledge of the city (well-known places,
roads, kelurahan, the coast), written as (lat, lon) the way places are usually
quoted. None is taken from an official boundary file. Seeds were moved by hand
when a measured check (docs/geodata.md) showed a kelurahan in the wrong district.
"""

from __future__ import annotations

# Kemendagri codes (Kepmendagri 300.2.2-2138/2025).
CODES: dict[str, str] = {
    "Mariso": "73.71.01",
    "Mamajang": "73.71.02",
    "Makassar": "73.71.03",
    "Ujung Pandang": "73.71.04",
    "Wajo": "73.71.05",
    "Bontoala": "73.71.06",
    "Tallo": "73.71.07",
    "Ujung Tanah": "73.71.08",
    "Panakkukang": "73.71.09",
    "Tamalate": "73.71.10",
    "Biringkanaya": "73.71.11",
    "Manggala": "73.71.12",
    "Rappocini": "73.71.13",
    "Tamalanrea": "73.71.14",
    "Kepulauan Sangkarrang": "73.71.15",
}

# The mainland city, (lat, lon), clockwise from the coast at the Gowa border in the south.
OUTLINE: list[tuple[float, float]] = [
    (-5.232, 119.392),  # coast at Barombong, border with Gowa
    (-5.215, 119.387),
    (-5.200, 119.382),  # Jeneberang mouth
    (-5.185, 119.378),
    (-5.172, 119.380),  # Tanjung Bayang
    (-5.160, 119.385),  # Akkarena
    (-5.152, 119.393),
    (-5.148, 119.400),  # Center Point of Indonesia
    (-5.142, 119.405),  # Pantai Losari
    (-5.136, 119.403),  # Fort Rotterdam
    (-5.128, 119.401),  # Soekarno-Hatta port
    (-5.120, 119.406),
    (-5.114, 119.410),
    (-5.108, 119.415),  # Paotere
    (-5.102, 119.424),
    (-5.098, 119.432),  # Tallo river mouth
    (-5.092, 119.445),
    (-5.085, 119.455),
    (-5.077, 119.465),  # Lantebung mangroves
    (-5.065, 119.462),
    (-5.052, 119.460),  # Untia
    (-5.048, 119.463),  # coast at the Maros border
    (-5.056, 119.490),
    (-5.060, 119.510),
    (-5.064, 119.524),
    (-5.072, 119.536),  # Jl. Perintis Kemerdekaan leaves the city, west of the airport
    (-5.088, 119.542),
    (-5.115, 119.542),
    (-5.130, 119.535),
    (-5.145, 119.527),
    (-5.160, 119.523),  # Manggala, border with Maros / Gowa
    (-5.175, 119.515),
    (-5.185, 119.500),
    (-5.188, 119.485),  # border with Gowa (Samata)
    (-5.186, 119.465),
    (-5.188, 119.448),
    (-5.190, 119.437),  # Jl. Sultan Alauddin leaves the city
    (-5.195, 119.425),  # Jeneberang
    (-5.198, 119.410),
    (-5.210, 119.401),
    (-5.225, 119.397),
]

# Seed points: (place, lat, lon) believed to lie in each kecamatan.
SEEDS: dict[str, list[tuple[str, float, float]]] = {
    "Ujung Pandang": [
        ("Pantai Losari", -5.1436, 119.4078),
        ("Fort Rotterdam", -5.1339, 119.4053),
        ("Lapangan Karebosi", -5.1355, 119.4130),
        ("Mangkura", -5.1410, 119.4170),
        ("Lajangiru", -5.1445, 119.4150),
    ],
    "Wajo": [
        ("Jl. Sulawesi", -5.1300, 119.4085),
        ("Pasar Butung", -5.1265, 119.4115),
        ("Melayu", -5.1230, 119.4110),
        ("Malimongan", -5.1215, 119.4150),
        ("Soekarno-Hatta port", -5.1255, 119.4050),
    ],
    "Bontoala": [
        ("Pasar Terong", -5.1290, 119.4225),
        ("Bontoala", -5.1265, 119.4185),
        ("Timungan Lompoa", -5.1320, 119.4245),
        ("Malimongan Baru", -5.1335, 119.4215),
        ("Layang", -5.1205, 119.4195),
    ],
    "Ujung Tanah": [
        ("Paotere", -5.1115, 119.4195),
        ("Cambaya", -5.1090, 119.4150),
        ("Tabaringan", -5.1150, 119.4190),
        ("Camba Berua", -5.1100, 119.4240),
        ("Ujung Tanah", -5.1170, 119.4090),
    ],
    "Tallo": [
        ("Pannampu", -5.1170, 119.4290),
        ("Lembo", -5.1240, 119.4300),
        ("Bunga Eja Beru", -5.1215, 119.4260),
        ("La'latang", -5.1270, 119.4340),
        ("Tammua", -5.1265, 119.4410),
        ("Kaluku Bodoa", -5.1090, 119.4370),
        ("Rappokalling", -5.1200, 119.4380),
        ("Makam Raja Tallo", -5.1030, 119.4400),
        ("Lakkang", -5.1200, 119.4600),
    ],
    "Makassar": [
        ("Maradekaya", -5.1400, 119.4230),
        ("Bara-Baraya", -5.1360, 119.4290),
        ("Maccini", -5.1340, 119.4330),
        ("Maricaya", -5.1440, 119.4260),
        ("Bara-Baraya Timur", -5.1430, 119.4330),
    ],
    "Mariso": [
        ("Kunjung Mae", -5.1500, 119.4120),
        ("Stadion Mattoanging", -5.1555, 119.4110),
        ("Lette", -5.1560, 119.4050),
        ("Tamarunang", -5.1640, 119.4080),
    ],
    "Mamajang": [
        ("Labuang Baji", -5.1540, 119.4190),
        ("Mamajang Dalam", -5.1600, 119.4190),
        ("Baji Mappakasunggu", -5.1600, 119.4140),
        ("Pa'batang", -5.1640, 119.4140),
        ("Mandala", -5.1590, 119.4250),
        ("Karang Anyar", -5.1680, 119.4180),
        ("Sambung Jawa", -5.1700, 119.4150),
        ("Tamparang Keke", -5.1700, 119.4200),
    ],
    "Rappocini": [
        ("Rappocini", -5.1520, 119.4330),
        ("Balla Parang", -5.1520, 119.4350),
        ("Banta-Bantaeng", -5.1640, 119.4310),
        ("Gunung Sari", -5.1660, 119.4370),
        ("Buakana", -5.1560, 119.4390),
        ("Kassi-Kassi", -5.1680, 119.4450),
        ("Karunrung", -5.1730, 119.4500),
    ],
    "Tamalate": [
        ("Pantai Akkarena", -5.1650, 119.3930),
        ("Bongaya", -5.1720, 119.4260),
        ("Pa'baeng-baeng", -5.1750, 119.4320),
        ("Jongaya", -5.1790, 119.4150),
        ("Mannuruki", -5.1790, 119.4290),
        ("Barombong", -5.2150, 119.3950),
        ("Mangasa", -5.1920, 119.4300),
        ("Balang Baru", -5.1880, 119.4120),
    ],
    "Panakkukang": [
        ("Mall Panakkukang", -5.1575, 119.4465),
        ("Pandang", -5.1500, 119.4480),
        ("Karuwisi Utara", -5.1320, 119.4370),
        ("Karuwisi", -5.1390, 119.4370),
        ("Tamamaung", -5.1460, 119.4410),
        ("Masale", -5.1520, 119.4430),
        ("Panaikang", -5.1330, 119.4650),
        ("Tello Baru", -5.1380, 119.4750),
        ("Tello Baru (east)", -5.1420, 119.4820),
        ("Paropo", -5.1500, 119.4550),
    ],
    "Manggala": [
        ("Batua", -5.1480, 119.4680),
        ("Borong", -5.1640, 119.4660),
        ("Antang", -5.1560, 119.4900),
        ("TPA Tamangapa", -5.1780, 119.4940),
        ("Manggala", -5.1720, 119.4820),
        ("Bangkala", -5.1550, 119.5050),
        ("Biring Romang", -5.1700, 119.5080),
    ],
    "Tamalanrea": [
        ("Universitas Hasanuddin", -5.1317, 119.4881),
        ("Bumi Tamalanrea Permai", -5.1220, 119.4950),
        ("Tamalanrea Jaya", -5.1380, 119.4980),
        ("Buntusu", -5.1420, 119.5100),
        ("Kapasa", -5.1080, 119.4950),
        ("Bira", -5.0880, 119.4650),
        ("Parangloe", -5.0950, 119.4800),
    ],
    "Biringkanaya": [
        ("Daya", -5.1080, 119.5120),
        ("Sudiang", -5.0850, 119.5250),
        ("Sudiang Raya", -5.0950, 119.5300),
        ("Paccerakkang", -5.1180, 119.5200),
        ("Katimbang", -5.1330, 119.5250),
        ("Untia", -5.0550, 119.4650),
        ("Bulurokeng", -5.0700, 119.5000),
        ("Berua", -5.1000, 119.5350),
    ],
}

# Islands: (kecamatan, island, lat, lon, radius in metres). Radii are generous on purpose:
# the positions are from memory, and the sea around them belongs to no other kecamatan.
ISLANDS: list[tuple[str, str, float, float, float]] = [
    ("Ujung Pandang", "Lae-Lae", -5.1370, 119.3900, 450.0),
    ("Ujung Pandang", "Samalona", -5.1240, 119.3430, 400.0),
    ("Kepulauan Sangkarrang", "Barrang Lompo", -5.0480, 119.3290, 600.0),
    ("Kepulauan Sangkarrang", "Barrang Caddi", -5.0830, 119.3170, 600.0),
    ("Kepulauan Sangkarrang", "Lumu-Lumu", -4.9670, 119.2000, 500.0),
    ("Kepulauan Sangkarrang", "Kodingareng Keke", -5.1040, 119.2880, 400.0),
    ("Kepulauan Sangkarrang", "Kodingareng Lompo", -5.1330, 119.2670, 700.0),
    ("Kepulauan Sangkarrang", "Bonetambung", -5.0360, 119.2740, 500.0),
    ("Kepulauan Sangkarrang", "Langkai", -5.0330, 119.0830, 600.0),
    ("Kepulauan Sangkarrang", "Lanjukang", -4.9670, 119.0670, 500.0),
]
