# Cross-dissolve from `a` to `b`: eased over two seconds, starting at
# `start` (live: change it while the effect runs to restart the move).
input a, b;
param start = 1 in 0..3600;

let progress = ease_in_out(ramp(start, start + 2));
output dissolve(a, b, progress);
