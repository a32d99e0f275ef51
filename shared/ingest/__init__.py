"""What every department adapter shares: reading fields with precise problems, the parsed-export model,
exactly-once publication to Kafka, and the batch command and HTTP endpoint built on them.

An adapter supplies only its format: ``parse_export`` (bytes → accepted envelopes and rejected lines) and
``render_export`` (canonical payloads → its native bytes, for samples, tests and the synthetic city).
"""
