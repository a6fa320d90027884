"""Models shared by generation, embedding and training: where a model spec points (``resolve``, ``gguf``), which
dtype each use runs in (``dtype``) and the process-wide cache of loaded models (``cache``)."""
