"""Every label on every screen, in Bahasa Indonesia and English: one table.

``translator(lang)`` gives the lookup function the pages and ``layers`` use. A key
missing from the table comes back unchanged (``layers.fmt.label`` then shows the raw
code), and ``tests/test_layers_i18n.py`` checks both languages cover every key.
Placeholders in ``{braces}`` are filled with ``str.format``.
"""

from __future__ import annotations

from collections.abc import Callable

LANGS = ("id", "en")

_UI: dict[str, tuple[str, str]] = {
    "app.title": ("Ruang Kendali Kota Makassar", "Makassar City War Room"),
    "app.short": ("Ruang Kendali", "War Room"),
    "nav.home": ("Beranda", "Home"),
    "nav.wall": ("Layar dinding", "Wall"),
    "nav.mayor": ("Wali Kota", "Mayor"),
    "nav.crisis": ("Tim krisis", "Crisis team"),
    "nav.wall.desc": ("Layar besar ruang kendali, tanpa sentuhan", "Large war-room displays, hands-free"),
    "nav.mayor.desc": ("Ringkasan hari ini untuk tablet", "Today at a glance, for the tablet"),
    "nav.crisis.desc": ("Insiden aktif, warga terdampak, aduan banjir", "Active incidents, people affected, flood complaints"),
    "lang.switch": ("English", "Bahasa Indonesia"),
    "lang.code": ("EN", "ID"),
    "kpi.complaints.open": ("Aduan terbuka", "Open complaints"),
    "kpi.complaints.overdue": ("Lewat tenggat", "Overdue"),
    "kpi.complaints.received_today": ("Masuk hari ini", "Received today"),
    "kpi.complaints.resolved_today": ("Selesai hari ini", "Resolved today"),
    "kpi.disasters.active": ("Insiden aktif", "Active incidents"),
    "kpi.disasters.affected_people": ("Warga terdampak", "People affected"),
    "kpi.disasters.displaced": ("Mengungsi", "Displaced"),
    "kpi.economy.tx_amount_today": ("Transaksi hari ini", "Transactions today"),
    "kpi.economy.price_alerts": ("Harga naik >10%", "Prices up >10%"),
    "kpi.window.economy.price_alerts": ("bahan pokok, dalam 7 hari", "staples, over 7 days"),
    "kpi.vs_yesterday": ("vs kemarin", "vs yesterday"),
    "kpi.no_yesterday": ("kemarin: –", "yesterday: –"),
    "unit.transactions": ("transaksi", "transactions"),
    "unit.affected": ("terdampak", "affected"),
    "unit.displaced": ("mengungsi", "displaced"),
    "unit.injured": ("luka", "injured"),
    "unit.deaths": ("meninggal", "dead"),
    "unit.complaints": ("aduan", "complaints"),
    "unit.incidents": ("insiden", "incidents"),
    "unit.markets": ("pasar", "markets"),
    "unit.hours": ("jam", "h"),
    "unit.minutes": ("mnt", "min"),
    "fresh.live": ("langsung", "live"),
    "fresh.nodata": ("belum ada data", "no data yet"),
    "fresh.last": ("data terakhir {time}", "data since {time}"),
    "fresh.down": ("Server data tidak terjangkau — angka di layar adalah data terakhir {time}",
                   "Data server unreachable — figures shown are from {time}"),
    "fresh.down_nodata": ("Server data tidak terjangkau — belum ada data", "Data server unreachable — no data yet"),
    "fresh.stale": ("{feed}: tidak ada data baru sejak {time}", "{feed}: no new data since {time}"),
    "fresh.none": ("{feed}: belum ada data", "{feed}: no data yet"),
    "fresh.conn_lost": ("Koneksi ke server terputus — angka di layar mungkin sudah lama",
                        "Connection to the server lost — figures on screen may be old"),
    "fresh.last_ok": ("terakhir tersambung", "last connected"),
    "feed.complaints": ("Aduan", "Complaints"),
    "feed.economy": ("Ekonomi", "Economy"),
    "feed.disasters": ("Bencana", "Disasters"),
    "focus.complaints": ("Aduan", "Complaints"),
    "focus.economy": ("Ekonomi", "Economy"),
    "focus.disasters": ("Bencana", "Disasters"),
    "focus.crisis": ("KRISIS", "CRISIS"),
    "map.complaints": ("Aduan terbuka per kecamatan", "Open complaints by kecamatan"),
    "map.economy": ("Nilai transaksi hari ini per kecamatan (Rp)", "Transaction value today by kecamatan (Rp)"),
    "map.disasters": ("Insiden aktif per kecamatan", "Active incidents by kecamatan"),
    "map.crisis": ("Insiden aktif per kecamatan", "Active incidents by kecamatan"),
    "map.legend.zero": ("nihil", "none"),
    "map.legend.incident": ("insiden (angka = tingkat)", "incident (number = severity)"),
    "map.legend.complaint": ("aduan terbaru", "latest complaints"),
    "map.legend.near": ("aduan banjir/drainase dekat banjir", "flood/drainage complaint near a flood"),
    "crisis.banner": ("KRISIS · {hazard} tingkat {severity} · {kecamatan} · {status}",
                      "CRISIS · {hazard} severity {severity} · {kecamatan} · {status}"),
    "panel.by_category": ("Aduan terbuka per kategori", "Open complaints by category"),
    "panel.by_kecamatan": ("Aduan terbuka per kecamatan", "Open complaints by kecamatan"),
    "panel.prices_7d": ("Harga pokok · perubahan 7 hari", "Staple prices · 7-day change"),
    "panel.tx_by_kecamatan": ("Transaksi hari ini per kecamatan", "Transactions today by kecamatan"),
    "panel.active_incidents": ("Insiden aktif", "Active incidents"),
    "panel.by_hazard": ("Per jenis bencana", "By hazard"),
    "panel.no_prices": ("Belum ada harga", "No prices yet"),
    "panel.no_incidents": ("Tidak ada insiden aktif", "No active incidents"),
    "panel.more": ("+{n} lainnya", "+{n} more"),
    "incident.no_kecamatan": ("di luar kota", "outside the city"),
    "ticker.empty": ("Belum ada kejadian", "No events yet"),
    "ticker.title": ("Terbaru", "Latest"),
}

_MAYOR: dict[str, tuple[str, str]] = {
    "mayor.today": ("Hari ini", "Today"),
    "mayor.report_card": ("Rapor OPD", "Agency report card"),
    "mayor.report_hint": ("terburuk di atas", "worst first"),
    "mayor.prices": ("Harga bahan pokok", "Staple prices"),
    "mayor.hotspots": ("Titik rawan per kecamatan", "Hotspots by kecamatan"),
    "mayor.map": ("Peta · ketuk kecamatan", "Map · tap a kecamatan"),
    "mayor.hot_all": ("Semua kecamatan ({n})", "All kecamatan ({n})"),
    "mayor.hot_fewer": ("Tampilkan lebih sedikit", "Show fewer"),
    "opd.opd": ("OPD", "Agency"),
    "opd.open": ("Terbuka", "Open"),
    "opd.overdue": ("Lewat tenggat", "Overdue"),
    "opd.median": ("Median selesai", "Median to resolve"),
    "opd.sla": ("Tepat waktu", "Within SLA"),
    "opd.none": ("Belum ada data OPD", "No agency data yet"),
    "price.commodity": ("Komoditas", "Staple"),
    "price.median": ("Harga tengah", "Median price"),
    "price.change": ("7 hari", "7 days"),
    "price.markets": ("Pasar", "Markets"),
    "price.alert": ("naik >10%", "up >10%"),
    "price.highest": ("tertinggi:", "highest:"),
    "hot.kecamatan": ("Kecamatan", "Kecamatan"),
    "hot.open": ("Aduan", "Complaints"),
    "hot.incidents": ("Insiden", "Incidents"),
    "hot.tx": ("Transaksi", "Transactions"),
    "district.close": ("Tutup", "Close"),
    "district.complaints": ("Aduan terbuka per kategori", "Open complaints by category"),
    "district.incidents": ("Insiden aktif", "Active incidents"),
    "district.tx": ("Transaksi hari ini", "Transactions today"),
    "district.none": ("Tidak ada", "None"),
    # -- mayor's tablet: attention list and detail sheets --
    "mayor.all": ("Semua", "All"),
    "mayor.hotspots_short": ("Titik rawan", "Hotspots"),
    "mayor.prices_short": ("Harga naik", "Price rises"),
    "mayor.report_short": ("Rapor OPD", "Agencies"),
    "attn.title": ("Perlu perhatian", "Needs attention"),
    "attn.none": ("Tidak ada yang mendesak", "Nothing urgent"),
    "attn.more": ("+{n} lainnya", "+{n} more"),
    "attn.severity": ("tingkat {n}", "severity {n}"),
    "attn.rising": ("memburuk", "escalating"),
    "attn.all_feeds": ("Semua data", "All data"),
    "attn.stale": ("{feed}: data tidak mengalir", "{feed}: data not flowing"),
    "attn.overdue": ("{n} aduan lewat tenggat", "{n} complaints overdue"),
    "attn.in_7d": ("dalam 7 hari", "in 7 days"),
    "attn.since_yesterday": ("sejak kemarin", "since yesterday"),
    "attn.price": ("Harga {commodity} melonjak", "{commodity} price spike"),
    "attn.unassigned": ("{n} aduan belum ada OPD", "{n} complaints with no agency"),
    "attn.unassigned_sub": ("belum didisposisi ke OPD mana pun", "not assigned to any agency yet"),
    "attn.no_opd": ("tanpa OPD", "no agency"),
    "district.open": ("aduan terbuka", "open complaints"),
    "district.overdue_latest": ("lewat tenggat (aduan terbaru)", "overdue (latest complaints)"),
    "district.latest": ("Aduan terbaru", "Latest complaints"),
    "price.no_markets": ("Belum ada harga per pasar", "No prices by market yet"),
    "price.market": ("Pasar", "Market"),
    "price.price": ("Harga", "Price"),
    "price.vs_median": ("vs tengah", "vs median"),
    "price.change_1d": ("1 hari", "1 day"),
    "sheet.overdue_total": ("aduan lewat tenggat", "complaints overdue"),
    "sheet.overdue_by_opd": ("Lewat tenggat per OPD", "Overdue by agency"),
    "sheet.overdue_latest": ("Lewat tenggat di antara aduan terbaru", "Overdue among the latest complaints"),
    "sheet.overdue_not_in_latest": ("Aduan terbaru belum ada yang lewat tenggat; yang lewat tenggat lebih lama, "
                                    "lihat jumlahnya per OPD di atas",
                                    "None of the latest complaints is overdue yet; the overdue ones are older, "
                                    "see their counts by agency above"),
    "sheet.overdue_by_kecamatan": ("Lewat tenggat per kecamatan (aduan terbaru)",
                                   "Overdue by kecamatan (latest complaints)"),
    "sheet.latest": ("Aduan terbaru", "Latest complaints"),
    "sheet.tx_by_kecamatan": ("Transaksi per kecamatan", "Transactions by kecamatan"),
    "sheet.by_merchant": ("Transaksi per jenis usaha", "Transactions by business type"),
    "sheet.by_market": ("harga per pasar", "price by market"),
    "sheet.no_market_kecamatan": ("Data pasar belum memuat kecamatannya", "Market data does not say their kecamatan"),
    "sheet.severity": ("tingkat", "severity"),
    "sheet.incident": ("Ringkasan", "Summary"),
    "sheet.timeline": ("Perkembangan", "Timeline"),
    "sheet.feeds": ("Aliran data", "Data feeds"),
    "sheet.feed": ("Data", "Feed"),
    "sheet.state": ("Keadaan", "State"),
    "sheet.last_applied": ("Terakhir masuk", "Last applied"),
    "sheet.silent": ("Diam selama", "Silent for"),
    "sheet.stale_note": ("Angka dari data yang tidak mengalir bisa sudah lama", "Numbers from a feed that is not flowing may be old"),
    "sheet.unassigned": ("Aduan tanpa OPD", "Complaints with no agency"),
    "state.live": ("langsung", "live"), "state.stale": ("terhenti", "stale"),
    "state.none": ("belum ada", "none"), "state.down": ("tak terjangkau", "unreachable"),
}

_CRISIS: dict[str, tuple[str, str]] = {
    "crisis.title": ("Insiden aktif", "Active incidents"),
    "crisis.filter_hazard": ("Jenis bencana", "Hazard"),
    "crisis.filter_kecamatan": ("Kecamatan", "Kecamatan"),
    "crisis.filter_all": ("Semua", "All"),
    "crisis.count": ("{shown} dari {total} insiden aktif", "{shown} of {total} active incidents"),
    "crisis.none": ("Tidak ada insiden aktif", "No active incidents"),
    "crisis.none_filtered": ("Tidak ada insiden yang cocok dengan saringan", "No incident matches the filter"),
    "crisis.timeline": ("Riwayat status", "Status timeline"),
    "crisis.near": ("{n} aduan banjir/drainase dalam {radius}", "{n} flood/drainage complaints within {radius}"),
    "crisis.water": ("tinggi air {cm} cm", "water {cm} cm"),
    "crisis.quake": ("M {mag} · kedalaman {depth} km", "M {mag} · depth {depth} km"),
    "crisis.since": ("sejak {time} ({age})", "since {time} ({age})"),
    "crisis.updated": ("diperbarui {time}", "updated {time}"),
    "crisis.totals": ("Total insiden aktif", "Active incident totals"),
    "crisis.severity": ("Tingkat", "Severity"),
}

_CODES: dict[str, tuple[str, str]] = {
    "cat.roads": ("Jalan", "Roads"), "cat.drainage": ("Drainase", "Drainage"),
    "cat.waste": ("Sampah", "Waste"), "cat.street_lighting": ("Lampu jalan", "Street lighting"),
    "cat.water": ("Air bersih", "Water"), "cat.electricity": ("Listrik", "Electricity"),
    "cat.public_order": ("Ketertiban", "Public order"), "cat.health": ("Kesehatan", "Health"),
    "cat.education": ("Pendidikan", "Education"), "cat.administration": ("Administrasi", "Administration"),
    "cat.other": ("Lainnya", "Other"),
    "hazard.flood": ("Banjir", "Flood"), "hazard.tidal_flood": ("Banjir rob", "Tidal flood"),
    "hazard.fire": ("Kebakaran", "Fire"), "hazard.landslide": ("Tanah longsor", "Landslide"),
    "hazard.earthquake": ("Gempa bumi", "Earthquake"), "hazard.extreme_weather": ("Cuaca ekstrem", "Extreme weather"),
    "hazard.strong_wind": ("Angin kencang", "Strong wind"), "hazard.tree_fall": ("Pohon tumbang", "Fallen tree"),
    "hazard.building_collapse": ("Bangunan roboh", "Building collapse"), "hazard.other": ("Lainnya", "Other"),
    "istatus.reported": ("dilaporkan", "reported"), "istatus.verified": ("terverifikasi", "verified"),
    "istatus.responding": ("ditangani", "responding"), "istatus.contained": ("terkendali", "contained"),
    "istatus.closed": ("selesai", "closed"),
    "cstatus.received": ("diterima", "received"), "cstatus.assigned": ("didisposisi", "assigned"),
    "cstatus.in_progress": ("diproses", "in progress"), "cstatus.resolved": ("selesai", "resolved"),
    "cstatus.rejected": ("ditolak", "rejected"),
    "priority.low": ("rendah", "low"), "priority.normal": ("normal", "normal"),
    "priority.high": ("tinggi", "high"), "priority.urgent": ("darurat", "urgent"),
    "commodity.beras": ("Beras", "Rice"), "commodity.gula_pasir": ("Gula pasir", "Sugar"),
    "commodity.minyak_goreng": ("Minyak goreng", "Cooking oil"), "commodity.daging_ayam": ("Daging ayam", "Chicken"),
    "commodity.daging_sapi": ("Daging sapi", "Beef"), "commodity.telur_ayam": ("Telur ayam", "Eggs"),
    "commodity.cabai_merah": ("Cabai merah", "Red chilli"), "commodity.cabai_rawit": ("Cabai rawit", "Bird's-eye chilli"),
    "commodity.bawang_merah": ("Bawang merah", "Shallots"), "commodity.bawang_putih": ("Bawang putih", "Garlic"),
    "ekind.price": ("harga", "price"), "ekind.transactions": ("transaksi", "transactions"),
}

TEXTS: dict[str, tuple[str, str]] = {**_UI, **_MAYOR, **_CRISIS, **_CODES}


def normalize(lang: str | None, default: str = "id") -> str:
    """A supported language code (anything else falls back to ``default``)."""
    return lang if lang in LANGS else default


def translate(key: str, lang: str) -> str:
    """One label; the key itself when the table lacks it."""
    pair = TEXTS.get(key)
    if pair is None:
        return key
    return pair[LANGS.index(normalize(lang))]


def translator(lang: str) -> Callable[[str], str]:
    """The lookup function for one language, as ``layers`` expect it (``tr("hazard.flood")``)."""
    code = normalize(lang)
    return lambda key: translate(key, code)
