"""One module per deck figure: data preparation (testable) and the plot, called by the figure notebooks."""
