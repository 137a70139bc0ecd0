"""Clustering and matching of face embeddings: pure numpy in, labels and decisions out.

knn.py    approximate k-NN graph (annoy on a PCA projection, rescored exactly)
graph.py  precision-first graph clustering (average-link merges, cannot-link by photo)
assign.py scoring new faces against known people (several exemplars, margin over runner-up)
"""
