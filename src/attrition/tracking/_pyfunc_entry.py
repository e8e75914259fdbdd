"""MLflow "models from code" entry point of the attrition pyfunc model.

MLflow stores this file with every logged model and runs it on load, instead
of unpickling a Python object. It only instantiates the wrapper; the model's
state is read from LightGBM's text format and JSON by ``load_context``.
"""

import mlflow

from attrition.tracking._mlflow import AttritionPyfunc

mlflow.models.set_model(AttritionPyfunc())
