"""The project's common infrastructure library: settings, Kafka, PostgreSQL, migrations, telemetry, logging.

Domain logic does not live here; each service keeps its own under ``services/<name>/``.
"""
