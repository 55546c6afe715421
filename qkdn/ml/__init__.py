"""Machine learning on the QKD network: learned models that plug into scenarios, forecasts from telemetry."""
