"""telar in scikit-learn: :class:`TelarClassifier`, an estimator with ``MLPClassifier``'s names.

A thin re-export (the implementation is :mod:`telar.sklearn.classifier`; the network and
optimiser it trains, :mod:`telar.sklearn.network`; ``MLPClassifier``'s stopping rule,
:mod:`telar.sklearn.stopping`; its pickled form, weights in telar's own file format,
:mod:`telar.sklearn.state`). Needs scikit-learn 1.6 or newer (``pip install -e '.[sklearn]'``).

>>> from telar.sklearn import TelarClassifier                        # doctest: +SKIP
>>> clf = TelarClassifier(hidden_layer_sizes=(128,), max_iter=10).fit(X, y)
>>> clf.predict(X[:3]), clf.score(X_test, y_test)
"""

from telar.sklearn.classifier import TelarClassifier

__all__ = ["TelarClassifier"]
