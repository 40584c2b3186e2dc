"""Echo state networks on chaotic series: prediction, closed-loop generation, NARMA identification."""
