"""Release-level membership attacks: can someone holding the released images (or the generator)
tell who was in the training set? One attack per module, their ROC figures, the bootstrap over
patients that gives every figure its interval, and the controls that make an AUC readable."""
