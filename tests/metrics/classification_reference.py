"""Accuracy, average precision and ROC AUC computed independently of medcrypt (numpy, run with
/usr/bin/python3): AP by scikit-learn's definition written out over the distinct thresholds, AUC by
counting every (positive, negative) pair, ties as one half. Reads {"labels", "scores", "classes"} as JSON
on stdin, writes {"accuracy", "ap", "auc"} on stdout."""
import json
import sys

import numpy as np


def average_precision(score, positive):
    if positive.sum() == 0 or positive.sum() == len(positive):
        return None
    ap, recall_before = 0.0, 0.0
    for t in np.unique(score)[::-1]:
        called = score >= t
        tp = np.logical_and(called, positive).sum()
        recall, precision = tp / positive.sum(), tp / called.sum()
        ap += (recall - recall_before) * precision
        recall_before = recall
    return float(ap)


def auc(score, positive):
    pos, neg = score[positive], score[~positive]
    if len(pos) == 0 or len(neg) == 0:
        return None
    greater = (pos[:, None] > neg[None, :]).sum()
    equal = (pos[:, None] == neg[None, :]).sum()
    return float((greater + 0.5 * equal) / (len(pos) * len(neg)))


request = json.load(sys.stdin)
labels = np.array(request["labels"])
scores = np.array(request["scores"], dtype=float).reshape(len(labels), request["classes"])
accuracy = float((scores.argmax(axis=1) == labels).mean())
aps = [average_precision(scores[:, k], labels == k) for k in range(request["classes"])]
aucs = [auc(scores[:, k], labels == k) for k in range(request["classes"])]
json.dump({"accuracy": accuracy, "ap": aps, "auc": aucs}, sys.stdout)
