"""Pure builders for the war-room screens: a ``Snapshot`` (and boundaries) in, plotly
figures and Dash component trees out. No Redis, Kafka, environment or callbacks here.

Modules: ``fmt`` (numbers, money, WITA times), ``geo`` (haversine, flood join),
``mapframe``/``citymap``/``mappoints``/``palette``/``legend`` (the offline map),
``freshness``, ``focus``, ``kpi``/``tiles``, ``ticker``, ``panels``, ``report``,
``district``, ``incidents``, ``dom``.
"""
