# limits module
