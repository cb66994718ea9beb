"""greenbench in the tools users already have: a CodeCarbon-style decorator and CSV
(``decorator.py``, ``codecarbon_csv.py``) and MLflow runs (``mlflow_runs.py``)."""
