"""The hand-pose prior: human 21-keypoint poses -> k-medoids consensus -> Adroit joint targets."""
