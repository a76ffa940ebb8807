"""NLU pipeline component: intents from a linear SVM on the sentence features, with calibrated confidences.

Rasa's ``LogisticRegressionClassifier`` stacks the raw sparse counts (word and character n-grams, regex and
lookup matches) beside the dense e5 embedding and fits a logistic regression with C fixed at 1. This component
differs in four places, each measured by 5-fold CV on the bot's data (README, "NLU"):

- character n-grams (``char_ngrams``, e.g. 1-4) counted over the whole message text. Rasa's CountVectorsFeaturizer
  counts them inside each jieba token only, so "补贴没发" never yields "贴没"; across tokens they carry the
  phrasing that jieba's segmentation cuts apart. ``featurizers`` names the featurizers whose sparse sentence
  features are read as well (empty: all), so the per-token character counts can be left out;
- the sparse block is L2-normalised per message and scaled by ``count_weight``, so a long message's many
  character n-grams no longer outweigh its embedding;
- the classifier is scikit-learn's ``LinearSVC`` (hinge loss, ``C``, classes weighted by frequency);
- confidences come from ``CalibratedClassifierCV`` (sigmoid, ``calibration_folds`` folds), so the
  FallbackClassifier's threshold reads a probability, not a margin.

Everything else (ranking, output format) is the logistic regression classifier's. At prediction time the calibrated
folds' SVMs are applied as one matrix product (``CalibratedScores``): the same probabilities as scikit-learn's
``predict_proba``, without its per-fold input checks, which cost more than the arithmetic for one message.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

import numpy as np
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.utils.tensorflow.constants import RANKING_LENGTH
from scipy.sparse import csr_matrix, hstack, vstack
from scipy.special import expit
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.preprocessing import normalize
from sklearn.svm import LinearSVC


class CalibratedScores:
    """``CalibratedClassifierCV(LinearSVC, method="sigmoid").predict_proba`` (scikit-learn 1.1) in numpy: every
    fold's one-vs-rest SVM stacked into one weight matrix, then each fold's sigmoid calibration, normalisation
    over the classes and the mean over folds, as scikit-learn computes them."""

    def __init__(self, clf: CalibratedClassifierCV) -> None:
        self.classes_ = clf.classes_
        folds = clf.calibrated_classifiers_
        svms = [fold.base_estimator for fold in folds]
        self.columns = [np.searchsorted(self.classes_, svm.classes_) for svm in svms]
        self.weights = np.vstack([svm.coef_ for svm in svms]).T  # [features, folds x classes]
        self.intercepts = np.concatenate([svm.intercept_ for svm in svms])
        self.a = np.concatenate([[c.a_ for c in fold.calibrators] for fold in folds])
        self.b = np.concatenate([[c.b_ for c in fold.calibrators] for fold in folds])
        self.bounds = np.cumsum([0] + [len(svm.classes_) for svm in svms])

    @classmethod
    def supports(cls, clf: Any) -> bool:
        """Multi-class sigmoid calibration over linear models (a binary SVM has one decision column, not two)."""
        folds = getattr(clf, "calibrated_classifiers_", None)
        return bool(folds) and len(clf.classes_) > 2 and getattr(clf, "method", None) == "sigmoid" and all(
            hasattr(f.base_estimator, "coef_") and f.base_estimator.coef_.shape[0] == len(f.base_estimator.classes_)
            for f in folds)

    def predict_proba(self, X: Any) -> np.ndarray:
        calibrated = expit(-(self.a * (X @ self.weights + self.intercepts) + self.b))
        n, k = X.shape[0], len(self.classes_)
        mean = np.zeros((n, k))
        for columns, start, end in zip(self.columns, self.bounds[:-1], self.bounds[1:]):
            proba = np.zeros((n, k))
            proba[:, columns] = calibrated[:, start:end]
            total = proba.sum(axis=1)[:, np.newaxis]
            proba = np.divide(proba, total, out=np.full_like(proba, 1 / k), where=total != 0)
            proba[(1.0 < proba) & (proba <= 1.0 + 1e-5)] = 1.0
            mean += proba
        return mean / len(self.columns)


def _ngram_range(config: Dict[Text, Any]) -> tuple:
    """``char_ngrams`` as (min, max); (0, 0) when empty (no whole-text character n-grams)."""
    return tuple(config.get("char_ngrams") or (0, 0))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearSvmIntentClassifier(LogisticRegressionClassifier):
    """Linear SVM intent classifier over Rasa's sentence features (see the module docstring)."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            **LogisticRegressionClassifier.get_default_config(),
            "C": 0.1,
            "count_weight": 10.0,
            "calibration_folds": 5,
            "max_iter": 20000,
            "featurizers": [],
            "char_ngrams": [1, 4],
        }

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        if config.get("C", 1) <= 0 or config.get("count_weight", 1) < 0:
            raise InvalidConfigException(f"{cls.__name__}: C must be > 0 and count_weight >= 0.")
        if int(config.get("calibration_folds", 2)) < 2:
            raise InvalidConfigException(f"{cls.__name__}: calibration_folds must be at least 2.")
        low, high = _ngram_range(config)
        if high and not 1 <= low <= high:
            raise InvalidConfigException(f"{cls.__name__}: char_ngrams must be [min, max] with 1 <= min <= max, or [].")

    def __init__(self, config: Dict[Text, Any], name: Text, model_storage: ModelStorage,
                 resource: Resource) -> None:
        super().__init__(config, name, model_storage, resource)
        self.validate_config(self.config)
        self.clf = self._new_classifier(int(self.config["calibration_folds"]))
        low, high = _ngram_range(self.config)
        self.chars = CountVectorizer(analyzer="char_wb", ngram_range=(low, high)) if high else None

    def _new_classifier(self, folds: int) -> CalibratedClassifierCV:
        svm = LinearSVC(C=self.config["C"], class_weight="balanced", max_iter=self.config["max_iter"],
                        tol=self.config["tol"], random_state=self.config["random_state"], dual=True)
        return CalibratedClassifierCV(svm, method="sigmoid", cv=folds)

    def _create_X(self, messages: List[Message]) -> csr_matrix:
        featurizers = self.config["featurizers"] or None
        sparse, dense = [], []
        for message in messages:
            counts = message.get_sparse_features(attribute=TEXT, featurizers=featurizers)[1]
            embedding = message.get_dense_features(attribute=TEXT, featurizers=featurizers)[1]
            sparse.append(csr_matrix(counts.features, dtype=np.float64) if counts else csr_matrix((1, 0)))
            dense.append(csr_matrix(embedding.features, dtype=np.float64) if embedding else csr_matrix((1, 0)))
        counts = vstack(sparse)
        if self.chars is not None:
            counts = hstack([counts, self.chars.transform([message.get(TEXT) or "" for message in messages])])
        counts = normalize(counts.tocsr()) * self.config["count_weight"]
        return hstack([counts, vstack(dense)]).tocsr()

    def _scores(self) -> Any:
        """What turns features into class probabilities: the stacked folds when they apply, else scikit-learn."""
        if getattr(self, "_stacked_for", None) is not self.clf:
            self._stacked = CalibratedScores(self.clf) if CalibratedScores.supports(self.clf) else self.clf
            self._stacked_for = self.clf
        return self._stacked

    def process(self, messages: List[Message]) -> List[Message]:
        """Rasa's LogisticRegressionClassifier.process, the probabilities from ``_scores``."""
        scores = self._scores()
        probas = scores.predict_proba(self._create_X(messages))
        for idx, message in enumerate(messages):
            ranking = sorted(({"name": k, "confidence": v} for k, v in zip(scores.classes_, probas[idx])),
                             key=lambda e: -e["confidence"])
            message.set("intent", ranking[0], add_to_output=True)
            if self.config[RANKING_LENGTH] > 0:
                ranking = ranking[: self.config[RANKING_LENGTH]]
            message.set("intent_ranking", ranking, add_to_output=True)
        return messages

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if not examples:
            return self._resource
        if self.chars is not None:
            self.chars.fit([e.get(TEXT) for e in examples])
        X, y = self._create_X(examples), np.asarray([e.get(INTENT) for e in examples])
        # Calibration splits each intent into folds: no more folds than the rarest intent has examples.
        rarest = min(np.unique(y, return_counts=True)[1])
        if rarest < 2:
            raise InvalidConfigException(
                f"{type(self).__name__}: every intent needs at least 2 examples to calibrate confidences.")
        if rarest < int(self.config["calibration_folds"]):
            self.clf = self._new_classifier(int(rarest))
        self.clf.fit(X, y)
        self.persist()
        return self._resource

    def persist(self) -> None:
        import skops.io as sio

        with self._model_storage.write_to(self._resource) as model_dir:
            sio.dump({"classifier": self.clf, "chars": self.chars}, model_dir / f"{self._resource.name}.skops")

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "LinearSvmIntentClassifier":
        # skops refuses types it was not told to trust; this component's file holds only the scikit-learn and numpy
        # objects it wrote itself, so those are trusted and anything else is refused.
        import skops.io as sio

        try:
            with model_storage.read_from(resource) as model_dir:
                path = model_dir / f"{resource.name}.skops"
                untrusted = sio.get_untrusted_types(file=path)
                unexpected = [t for t in untrusted if not t.startswith(("sklearn.", "numpy."))]
                if unexpected:
                    raise InvalidConfigException(f"{cls.__name__}: unexpected types in {path}: {unexpected}")
                saved = sio.load(path, trusted=untrusted)
        except ValueError:
            # Not trained (e.g. no NLU data): same as Rasa's classifier, an untrained component.
            return cls.create(config, model_storage, resource, execution_context)
        component = cls(config, execution_context.node_name, model_storage, resource)
        component.clf, component.chars = saved["classifier"], saved["chars"]
        return component
