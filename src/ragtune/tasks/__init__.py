"""Tasks evaluated beside the questions, where fine-tuning is supposed to win: classification, extraction to a
JSON schema, generation under format and style rules, and multiple choice. Each kind scores deterministically
(``classify``, ``extract``, ``rules`` + ``similarity``, ``choice``); ``rows`` and ``load`` read a project's task
sets. Kept light: config.py imports ``rules`` from here."""
