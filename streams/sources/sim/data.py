"""Static facts of Kota Makassar for the simulator: places, markets, prices, agencies, texts.

Coordinates are approximate WGS84 (lat, lon), placed from general knowledge and then
checked against the real kecamatan boundaries (tests/test_simulate.py): each place lies
inside its kecamatan, and ``radius_m`` is how far a report may be jittered around it
without leaving that kecamatan (or the island it is on).
"""

from __future__ import annotations

from typing import Final, NamedTuple


class Place(NamedTuple):
    """A point people report from. ``tags``: flood, coast, island, dense, road."""

    name: str
    kecamatan: str
    lat: float
    lon: float
    radius_m: float
    weight: float
    tags: frozenset[str]


class Market(NamedTuple):
    """A traditional market; ``bias`` is its usual price level against the city's."""

    name: str
    kecamatan: str
    lat: float
    lon: float
    bias: float
    weight: float


def _p(name: str, kec: str, lat: float, lon: float, radius: float, weight: float = 1.0,
       tags: str = "") -> Place:
    return Place(name, kec, lat, lon, radius, weight, frozenset(tags.split()))


KECAMATAN: Final = (
    "Mariso", "Mamajang", "Makassar", "Ujung Pandang", "Wajo", "Bontoala", "Tallo",
    "Ujung Tanah", "Panakkukang", "Tamalate", "Biringkanaya", "Manggala", "Rappocini",
    "Tamalanrea", "Kepulauan Sangkarrang",
)

PLACES: Final = (
    _p("Pantai Losari", "Ujung Pandang", -5.1431, 119.4086, 90, 1.5, "coast road"),
    _p("Benteng Fort Rotterdam", "Ujung Pandang", -5.1339, 119.4053, 100, 1.0, "coast"),
    _p("Lapangan Karebosi", "Ujung Pandang", -5.1350, 119.4125, 110, 1.5, "road"),
    _p("Jl. Somba Opu", "Ujung Pandang", -5.1394, 119.4088, 90, 1.0, "road"),
    _p("Jl. Sam Ratulangi, Mangkura", "Ujung Pandang", -5.1479, 119.4166, 90, 1.0, "road"),
    _p("Pulau Lae-Lae", "Ujung Pandang", -5.1365, 119.3910, 50, 0.3, "island coast dense"),
    _p("Stadion Mattoanging", "Mariso", -5.1570, 119.4050, 110, 1.0, "road"),
    _p("Kel. Lette", "Mariso", -5.1553, 119.4062, 90, 1.0, "coast dense"),
    _p("Kel. Panambungan", "Mariso", -5.1533, 119.4097, 330, 1.0, "dense"),
    _p("Kel. Kunjung Mae", "Mariso", -5.1496, 119.4124, 90, 0.8, "dense"),
    _p("Kel. Bontorannu", "Mariso", -5.1624, 119.4045, 130, 0.8, "coast dense"),
    _p("RSUD Labuang Baji", "Mamajang", -5.1622, 119.4187, 90, 1.0, "road"),
    _p("Kel. Sambung Jawa", "Mamajang", -5.1740, 119.4080, 90, 1.0, "dense"),
    _p("Kel. Mamajang Dalam", "Mamajang", -5.1608, 119.4217, 120, 1.0, "dense"),
    _p("Jl. Veteran Selatan", "Mamajang", -5.1542, 119.4226, 180, 1.0, "road"),
    _p("Kel. Karang Anyar", "Mamajang", -5.1759, 119.4111, 120, 0.8, "dense"),
    _p("Kel. Lariangbangi", "Makassar", -5.1374, 119.4206, 160, 1.0, "dense"),
    _p("Kel. Bara-Baraya", "Makassar", -5.1440, 119.4291, 130, 1.2, "dense"),
    _p("Kel. Maccini", "Makassar", -5.1377, 119.4293, 120, 1.0, "dense"),
    _p("Kel. Maradekaya", "Makassar", -5.1434, 119.4239, 100, 1.0, "dense"),
    _p("Jl. Veteran Utara, Maricaya", "Makassar", -5.1502, 119.4217, 150, 1.0, "road"),
    _p("Pasar Butung", "Wajo", -5.1231, 119.4103, 250, 1.0, "dense"),
    _p("Jl. Sulawesi, Pecinan", "Wajo", -5.1260, 119.4106, 230, 1.0, "road dense"),
    _p("Kel. Malimongan Tua", "Wajo", -5.1193, 119.4162, 100, 0.8, "dense"),
    _p("Kel. Ende", "Wajo", -5.1277, 119.4091, 160, 0.6, "coast"),
    _p("Masjid Raya Makassar", "Bontoala", -5.1305, 119.4218, 90, 1.0, "road"),
    _p("Kel. Layang", "Bontoala", -5.1218, 119.4212, 90, 1.0, "dense"),
    _p("Kel. Bontoala Tua", "Bontoala", -5.1275, 119.4205, 90, 1.0, "dense"),
    _p("Kel. Baraya", "Bontoala", -5.1289, 119.4243, 100, 0.8, "dense"),
    _p("Pelabuhan Paotere", "Ujung Tanah", -5.1115, 119.4202, 90, 1.0, "coast dense"),
    _p("Kel. Cambaya", "Ujung Tanah", -5.1108, 119.4264, 90, 0.8, "coast dense"),
    _p("Kel. Tamalabba", "Ujung Tanah", -5.1132, 119.4140, 90, 0.8, "coast dense"),
    _p("Kel. Totaka", "Ujung Tanah", -5.1151, 119.4188, 140, 0.8, "dense"),
    _p("Kel. Buloa", "Tallo", -5.1063, 119.4350, 90, 1.0, "coast flood dense"),
    _p("Kel. Kaluku Bodoa", "Tallo", -5.1117, 119.4328, 150, 1.2, "dense flood"),
    _p("Kel. Rappokalling", "Tallo", -5.1244, 119.4415, 100, 1.2, "dense"),
    _p("Kampung Lakkang", "Tallo", -5.1200, 119.4557, 180, 0.4, "coast flood"),
    _p("Makam Raja-Raja Tallo", "Tallo", -5.1025, 119.4455, 110, 0.6, "coast"),
    _p("Kel. Rappojawa", "Tallo", -5.1254, 119.4358, 90, 1.0, "dense"),
    _p("Mal Panakkukang", "Panakkukang", -5.1545, 119.4460, 260, 1.5, "road"),
    _p("Jl. A.P. Pettarani, Tamamaung", "Panakkukang", -5.1453, 119.4409, 310, 1.5, "road flood"),
    _p("Kel. Pampang", "Panakkukang", -5.1298, 119.4547, 400, 1.0, "dense"),
    _p("Kel. Tello Baru", "Panakkukang", -5.1480, 119.4717, 150, 1.0, "flood"),
    _p("Kel. Karuwisi", "Panakkukang", -5.1403, 119.4354, 100, 1.0, "dense"),
    _p("Kel. Paropo", "Panakkukang", -5.1539, 119.4561, 220, 1.0, ""),
    _p("Kel. Sinrijala", "Panakkukang", -5.1388, 119.4413, 120, 0.8, "dense"),
    _p("Jl. Sultan Alauddin, Gunung Sari", "Rappocini", -5.1792, 119.4424, 210, 1.5, "road flood"),
    _p("Jl. Hertasning, Kassi-Kassi", "Rappocini", -5.1700, 119.4532, 190, 1.2, "road"),
    _p("Kel. Karunrung", "Rappocini", -5.1816, 119.4509, 400, 1.0, ""),
    _p("Kel. Minasa Upa", "Rappocini", -5.1808, 119.4591, 270, 1.0, "flood"),
    _p("Kel. Banta-Bantaeng", "Rappocini", -5.1627, 119.4292, 370, 1.0, "dense"),
    _p("Kel. Tidung", "Rappocini", -5.1679, 119.4391, 400, 1.0, ""),
    _p("Pantai Akkarena", "Tamalate", -5.1745, 119.3925, 400, 0.6, "coast"),
    _p("Tanjung Bunga, Maccini Sombala", "Tamalate", -5.1609, 119.3953, 400, 1.0, "coast road"),
    _p("Kel. Barombong", "Tamalate", -5.2123, 119.3961, 360, 1.0, "coast flood"),
    _p("Kel. Jongaya", "Tamalate", -5.1759, 119.4167, 270, 1.0, "dense"),
    _p("Kel. Mangasa", "Tamalate", -5.1849, 119.4358, 400, 1.2, "flood"),
    _p("Kel. Parang Tambung", "Tamalate", -5.1889, 119.4226, 400, 1.2, ""),
    _p("Kel. Balang Baru", "Tamalate", -5.1856, 119.4119, 210, 1.0, "flood"),
    _p("Kel. Mannuruki", "Tamalate", -5.1753, 119.4300, 170, 1.0, ""),
    _p("Paccerakkang", "Biringkanaya", -5.1255, 119.5275, 400, 1.5, "flood"),
    _p("Kel. Daya", "Biringkanaya", -5.1065, 119.5064, 400, 1.5, "flood road"),
    _p("BTN Kodam III, Katimbang", "Biringkanaya", -5.1387, 119.5231, 200, 1.0, "flood"),
    _p("Kel. Laikang", "Biringkanaya", -5.1025, 119.5315, 400, 1.0, "flood"),
    _p("Kel. Sudiang", "Biringkanaya", -5.0757, 119.5299, 400, 1.5, "road"),
    _p("Kel. Sudiang Raya", "Biringkanaya", -5.1102, 119.5280, 400, 1.5, ""),
    _p("PPI Untia", "Biringkanaya", -5.0677, 119.4809, 400, 0.5, "coast"),
    _p("Kel. Bulurokeng", "Biringkanaya", -5.0761, 119.5000, 400, 0.8, ""),
    _p("Kel. Pai", "Biringkanaya", -5.0895, 119.5158, 400, 0.8, ""),
    _p("Kel. Berua", "Biringkanaya", -5.1207, 119.5140, 360, 0.8, "flood"),
    _p("Kel. Bakung", "Biringkanaya", -5.0958, 119.5353, 190, 0.6, ""),
    _p("Perumnas Antang Blok 8", "Manggala", -5.1610, 119.4770, 320, 1.2, "flood"),
    _p("Perumnas Antang Blok 10", "Manggala", -5.1640, 119.4800, 280, 1.2, "flood"),
    _p("TPA Antang, Tamangapa", "Manggala", -5.1800, 119.5000, 360, 0.8, "flood"),
    _p("Kel. Borong", "Manggala", -5.1665, 119.4595, 310, 1.0, "flood"),
    _p("Kel. Batua", "Manggala", -5.1564, 119.4643, 400, 1.0, "flood"),
    _p("Kel. Bangkala", "Manggala", -5.1738, 119.4724, 400, 1.0, ""),
    _p("Kel. Biring Romang", "Manggala", -5.1721, 119.4850, 370, 0.6, ""),
    _p("Kel. Bitowa", "Manggala", -5.1624, 119.4908, 400, 0.6, "flood"),
    _p("Universitas Hasanuddin", "Tamalanrea", -5.1317, 119.4881, 400, 1.2, "road"),
    _p("Tamalanrea Indah", "Tamalanrea", -5.1295, 119.4830, 400, 1.0, "flood"),
    _p("Kel. Kapasa", "Tamalanrea", -5.1208, 119.5012, 340, 1.0, "flood"),
    _p("KIMA, Kapasa Raya", "Tamalanrea", -5.1076, 119.4868, 400, 1.0, "road"),
    _p("Kel. Bira", "Tamalanrea", -5.0843, 119.4835, 400, 0.6, "flood coast"),
    _p("Kel. Parangloe", "Tamalanrea", -5.1018, 119.4617, 400, 0.6, "flood coast"),
    _p("BTP, Tamalanrea", "Tamalanrea", -5.1320, 119.5015, 400, 1.2, ""),
    _p("Kel. Tamalanrea Jaya", "Tamalanrea", -5.1437, 119.4936, 400, 0.8, ""),
    _p("Kel. Buntusu", "Tamalanrea", -5.1405, 119.5116, 400, 0.6, ""),
    _p("Pulau Barrang Lompo", "Kepulauan Sangkarrang", -5.0485, 119.3290, 130, 0.4, "island coast"),
    _p("Pulau Barrang Caddi", "Kepulauan Sangkarrang", -5.0810, 119.3206, 60, 0.3, "island coast"),
    _p("Pulau Kodingareng Lompo", "Kepulauan Sangkarrang", -5.1479, 119.2649, 120, 0.3, "island coast"),
)

MARKETS: Final = (
    Market("Pasar Terong", "Bontoala", -5.1321, 119.4230, -0.03, 3.0),
    Market("Pasar Pa'baeng-baeng", "Tamalate", -5.1704, 119.4241, 0.0, 2.0),
    Market("Pasar Daya", "Biringkanaya", -5.1065, 119.5064, -0.01, 2.0),
    Market("Pasar Sentral (Makassar Mall)", "Wajo", -5.1281, 119.4142, 0.02, 2.0),
    Market("Pasar Pannampu", "Tallo", -5.1151, 119.4268, -0.02, 1.5),
    Market("Pasar Kalimbu", "Bontoala", -5.1331, 119.4193, -0.02, 1.0),
    Market("Pasar Kampung Baru", "Ujung Pandang", -5.1352, 119.4090, 0.03, 0.8),
    Market("Pasar Sambung Jawa", "Mariso", -5.1665, 119.4078, 0.01, 1.0),
    Market("Pasar Kalukuang", "Tallo", -5.1266, 119.4293, 0.01, 0.8),
    Market("Pasar Mandai", "Biringkanaya", -5.0757, 119.5299, -0.01, 0.8),
)


class Commodity(NamedTuple):
    """A staple: its unit, usual Makassar price, daily volatility and price spikes a day."""

    unit: str
    base_idr: int
    daily_vol: float
    spikes_per_day: float


# Bases checked against DOMAIN.md ("typical Makassar prices": cabai rawit Rp 60-90k/kg,
# bawang merah 30-40k, beras premium ~15k, eggs ~53k a tray of 30, i.e. ~28k/kg); the rest
# from PIHPS' Makassar levels of 2024-2025. Daily volatility per DOMAIN.md (rice ~2%, oil ~8%,
# shallots ~18%, chillies 22-25%). Spikes (+15..40%, halving in 12 h) are rare: a chilli or
# shallot spike every week or two, the others a few times a year.
COMMODITY_SPECS: Final = {
    "beras": Commodity("kg", 15_000, 0.02, 0.01),
    "gula_pasir": Commodity("kg", 18_000, 0.03, 0.01),
    "minyak_goreng": Commodity("liter", 18_000, 0.08, 0.02),
    "daging_ayam": Commodity("kg", 37_000, 0.06, 0.03),
    "daging_sapi": Commodity("kg", 135_000, 0.03, 0.01),
    "telur_ayam": Commodity("kg", 28_000, 0.05, 0.02),
    "cabai_merah": Commodity("kg", 50_000, 0.22, 0.08),
    "cabai_rawit": Commodity("kg", 70_000, 0.25, 0.1),
    "bawang_merah": Commodity("kg", 35_000, 0.18, 0.06),
    "bawang_putih": Commodity("kg", 40_000, 0.07, 0.02),
}
# A price collector's rounds at each market (WITA hour, +-25 min): every commodity each time.
PRICE_ROUNDS: Final = (6.5, 10.0, 13.5)

# Complaints a day over all channels: DOMAIN.md's call centre 112 alone takes 100-700
# calls a day, most of them emergencies that are not complaints; LAPOR!, the apps, social
# media and walk-ins add the rest. 420 a day (~150,000 a year) for 1.48 million people.
COMPLAINTS_PER_DAY: Final = 420.0
# Median hours from received to resolved by priority (lognormal, sigma 0.8), before the
# agency's pace and office hours; the contract's due times are 24 h, 3, 7 and 14 days.
RESOLVE_MEDIAN_H: Final = {"urgent": 3.0, "high": 10.0, "normal": 30.0, "low": 80.0}
REJECT_MEDIAN_H: Final = 20.0
# How slow each agency is against the median (1 = typical): the emergency services are
# quick, the civil registry (KTP-el, KK) chronically late (DOMAIN.md: "sudah 2 bulan").
OPD_PACE: Final = {
    "DAMKAR": 0.4, "BPBD": 0.6, "DINKES": 0.6, "PLN": 0.7, "DLH": 0.8, "SATPOLPP": 0.9,
    "PDAM": 1.0, "DISHUB": 1.1, "DPU": 1.4, "DISDIK": 1.5, "DINSOS": 1.8, "DUKCAPIL": 4.0,
}
# Agencies that act round the clock; the others work 08-17 WITA.
ROUND_THE_CLOCK: Final = frozenset({"DAMKAR", "BPBD", "PLN", "PDAM"})

# Public information (contract section 7): posts a day per channel over all OPDs, the
# median final reach of a post, and who posts (DISKOMINFO runs the city's own accounts).
POSTS_PER_DAY: Final = {"instagram": 8.0, "facebook": 6.0, "tiktok": 3.0, "x": 3.0,
                        "youtube": 0.5, "website": 4.0, "other": 1.0}
REACH_MEDIAN: Final = {"instagram": 4_000, "facebook": 2_500, "tiktok": 9_000, "x": 600,
                       "youtube": 1_500, "website": 900, "other": 300}
POSTING_OPDS: Final = {
    "DISKOMINFO": 6.0, "DINKES": 1.5, "DLH": 1.2, "BPBD": 1.0, "DISHUB": 1.0, "DPU": 0.8,
    "SATPOLPP": 0.6, "DISDIK": 0.8, "DINSOS": 0.5, "DUKCAPIL": 0.4, "PDAM": 0.5, "DAMKAR": 0.4,
}
# Awareness surveys: rounds a day (each covers every kecamatan), topics with their weight
# and (aware, want_to_know, not_interested) shares; Makaverse's are the city's own 2022
# figures (DOMAIN.md: 8% / 56% / 36%), the others invented around them.
SURVEY_ROUNDS_PER_DAY: Final = 0.4
SURVEY_TOPICS: Final = {
    "makaverse": (2.0, (0.08, 0.56, 0.36)),
    "lontara_plus": (1.0, (0.22, 0.48, 0.30)),
    "sampah_terpilah": (1.0, (0.35, 0.40, 0.25)),
}

CHANNELS: Final = {"lapor": 0.34, "call112": 0.18, "anrong": 0.22, "sosmed": 0.16, "walkin": 0.10}

CATEGORY_WEIGHTS: Final = {
    "roads": 0.16, "drainage": 0.13, "waste": 0.17, "street_lighting": 0.09, "water": 0.12,
    "electricity": 0.06, "public_order": 0.08, "health": 0.04, "education": 0.03,
    "administration": 0.07, "other": 0.05,
}

# Who handles what (DOMAIN.md: fallen trees and blocked drains go to Dinas PU).
CATEGORY_OPD: Final = {
    "roads": {"DPU": 0.85, "DISHUB": 0.15}, "drainage": {"DPU": 0.9, "BPBD": 0.1},
    "waste": {"DLH": 1.0}, "street_lighting": {"DISHUB": 0.6, "DPU": 0.4}, "water": {"PDAM": 1.0},
    "electricity": {"PLN": 0.9, "DISHUB": 0.1}, "public_order": {"SATPOLPP": 0.8, "DISHUB": 0.2},
    "health": {"DINKES": 1.0}, "education": {"DISDIK": 1.0},
    "administration": {"DUKCAPIL": 0.75, "DINSOS": 0.25},
    "other": {"DAMKAR": 0.35, "DINSOS": 0.3, "SATPOLPP": 0.2, "BPBD": 0.15},  # bees, snakes: Damkar
}

# (low, normal, high, urgent) weights; urgent is rare except for health and order.
PRIORITY_WEIGHTS: Final = {
    "default": (0.25, 0.58, 0.14, 0.03),
    "health": (0.05, 0.45, 0.35, 0.15),
    "public_order": (0.15, 0.5, 0.27, 0.08),
    "electricity": (0.15, 0.5, 0.28, 0.07),
    "drainage": (0.15, 0.55, 0.24, 0.06),
}

COMPLAINT_TEXTS: Final = {
    "roads": ("Jalan berlubang cukup dalam dekat {place}, sudah ada pengendara motor yang jatuh. Mohon segera ditambal.",
              "Aspal di sekitar {place} rusak parah dan jadi kubangan kalau hujan. Tolong diperbaiki.",
              "Galian pipa di {place} tidak ditutup kembali, membahayakan pengguna jalan malam hari."),
    "drainage": ("Saluran drainase di {place} tersumbat sampah, air meluap ke jalan setiap hujan.",
                 "Got di lorong dekat {place} mampet dan berbau, mohon dikeruk.",
                 "Tiap hujan deras air masuk ke rumah warga di {place} karena kanal dangkal."),
    "waste": ("Sampah di TPS dekat {place} sudah 3 hari tidak diangkut, baunya menyengat.",
              "Warga buang sampah sembarangan di pinggir kanal {place}, mohon ditertibkan.",
              "Mobil sampah tidak lewat lagi di {place} sejak minggu lalu."),
    "street_lighting": ("Lampu jalan di {place} mati sudah seminggu, rawan begal malam hari.",
                        "Beberapa tiang PJU di sekitar {place} padam, jalanan gelap gulita."),
    "water": ("Air PDAM di {place} tidak mengalir sejak kemarin sore.",
              "Air PDAM keruh dan berbau di {place}, tidak bisa dipakai memasak.",
              "Pipa PDAM bocor di depan {place}, air terbuang ke jalan."),
    "electricity": ("Listrik sering padam di {place}, sehari bisa tiga kali.",
                    "Kabel listrik menjuntai rendah di {place}, berbahaya untuk anak-anak."),
    "public_order": ("Pedagang kaki lima menutup trotoar di {place}, pejalan kaki terpaksa turun ke jalan.",
                     "Parkir liar di {place} bikin macet setiap sore.",
                     "Ada balap liar tiap malam Minggu di sekitar {place}, warga terganggu."),
    "health": ("Banyak kasus DBD di lingkungan {place}, mohon fogging.",
               "Puskesmas dekat {place} tutup padahal masih jam pelayanan."),
    "education": ("Atap ruang kelas SD di {place} bocor dan hampir roboh.",
                  "Ada pungutan di sekolah dekat {place} yang memberatkan orang tua murid."),
    "administration": ("Pengurusan KTP-el sudah 2 bulan belum selesai, warga {place}.",
                       "Bantuan sosial belum diterima padahal sudah terdaftar, warga {place}.",
                       "Antrean pengurusan KK di kantor lurah dekat {place} sangat lama."),
    "other": ("Ada sarang tawon besar di pohon dekat {place}, mohon dievakuasi.",
              "Ular masuk ke rumah warga di {place}, mohon bantuan Damkar.",
              "Anjing liar berkeliaran di {place}, anak-anak takut ke sekolah."),
}

# Social media posts arrive wrapped; the odd one carries markup, which screens must escape.
SOSMED_WRAPS: Final = (
    "{text} @pemkotmakassar #Makassar",
    "Tolong dibantu min 🙏 {text}",
    "<b>TOLONG DIVIRALKAN!!</b> {text} 😡 #MakassarTidakRantasa",
)

STATUS_TEXTS: Final = {
    "assigned": ("Laporan diteruskan ke {opd}.", "Disposisi ke {opd} untuk ditindaklanjuti."),
    "in_progress": ("Petugas {opd} sudah meninjau lokasi.", "Sedang dikerjakan oleh tim {opd}."),
    "resolved": ("Sudah ditangani, mohon konfirmasi warga.",
                 "Selesai dikerjakan {opd}, terima kasih atas laporannya."),
    "rejected": ("Laporan ditolak: bukan kewenangan Pemkot Makassar.",
                 "Laporan ganda, sudah ditangani pada laporan lain.",
                 "Data laporan tidak lengkap, silakan lapor ulang."),
}

# Incidents a day by hazard and season (DOMAIN.md: floods Nov-Mar, fires and wind all
# year; house fires about one a day in a city this size). Floods come with storms
# (``STORMS_PER_DAY``), extreme weather, wind and fallen trees more often during one.
HAZARDS_PER_DAY: Final = {
    "rainy": {"fire": 0.8, "tidal_flood": 0.25, "strong_wind": 0.3, "tree_fall": 1.0,
              "extreme_weather": 0.15, "earthquake": 0.25, "building_collapse": 0.05,
              "landslide": 0.02, "other": 0.2, "flood": 0.6},
    "dry": {"fire": 1.4, "tidal_flood": 0.2, "strong_wind": 0.2, "tree_fall": 0.2,
            "extreme_weather": 0.03, "earthquake": 0.25, "building_collapse": 0.05,
            "landslide": 0.01, "other": 0.2, "flood": 0.02},
}
STORMS_PER_DAY: Final = {"rainy": 0.4, "dry": 0.03}
# Hazard mix per season, for the load mode's extra incidents.
HAZARD_WEIGHTS: Final = {
    "rainy": {"flood": 0.40, "tidal_flood": 0.10, "fire": 0.17, "strong_wind": 0.08,
              "tree_fall": 0.10, "extreme_weather": 0.06, "earthquake": 0.03,
              "building_collapse": 0.02, "landslide": 0.01, "other": 0.03},
    "dry": {"flood": 0.04, "tidal_flood": 0.12, "fire": 0.46, "strong_wind": 0.10,
            "tree_fall": 0.09, "extreme_weather": 0.03, "earthquake": 0.06,
            "building_collapse": 0.04, "landslide": 0.01, "other": 0.05},
}
RAINY_MONTHS: Final = frozenset({11, 12, 1, 2, 3})
HAZARD_SOURCE: Final = {"flood": ("bpbd", "sensor"), "tidal_flood": ("bpbd", "sensor"),
                        "fire": ("damkar", "call112"), "earthquake": ("bmkg",)}

MERCHANT_CATEGORIES: Final = {"kuliner": 0.58, "retail": 0.29, "jasa": 0.13}
# Typical QRIS transactions per 5-minute report at peak, and the average ticket (IDR).
MERCHANT_PROFILE: Final = {"kuliner": (60, 38_000), "retail": (35, 85_000), "jasa": (12, 120_000)}
KECAMATAN_ECONOMY: Final = {
    "Panakkukang": 1.6, "Makassar": 1.0, "Ujung Pandang": 1.3, "Wajo": 1.1, "Rappocini": 1.4,
    "Tamalate": 1.4, "Biringkanaya": 1.3, "Tamalanrea": 1.1, "Manggala": 0.9, "Mariso": 0.6,
    "Mamajang": 0.7, "Bontoala": 0.6, "Tallo": 0.8, "Ujung Tanah": 0.4,
    "Kepulauan Sangkarrang": 0.05,
}

# Share of the day's activity by WITA hour (complaints: busier 08-20; 112 runs all night).
HOUR_ACTIVITY: Final = (
    0.30, 0.22, 0.18, 0.18, 0.25, 0.45, 0.70, 0.95, 1.25, 1.40, 1.45, 1.35,
    1.20, 1.30, 1.40, 1.35, 1.30, 1.25, 1.15, 1.10, 1.00, 0.80, 0.60, 0.42,
)

# Boxes (lat_min, lat_max, lon_min, lon_max) clearly outside the city, at least 1 km away:
# the Makassar Strait off Losari and Tanjung Bunga, Maros (airport, Mandai), Gowa.
SEA_BOXES: Final = ((-5.215, -5.185, 119.300, 119.360), (-5.115, -5.095, 119.350, 119.385))
MAROS_BOXES: Final = ((-5.065, -5.000, 119.555, 119.600),)
GOWA_BOXES: Final = ((-5.230, -5.212, 119.455, 119.480),)
OUTSIDE_BOXES: Final = (SEA_BOXES, MAROS_BOXES, GOWA_BOXES)
# BMKG earthquakes out at sea: the Makassar Strait and the Flores Sea.
QUAKE_BOXES: Final = ((-5.80, -3.80, 117.60, 118.80), (-7.60, -6.60, 119.40, 121.00))
