"""Engine: the YOLO facade, training, validation, prediction and export orchestration."""
