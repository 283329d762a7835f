import os
import sys

OPERATIONS = ["a migration line that is long enough to break the limit of one hundred and twenty characters for sure"]
