# Green-screen `fg` over `bg`. The key colour and tolerance are live
# parameters, so an operator can tune them while watching.
input fg, bg;
param key = #00ff00;
param tolerance = 0.25 in 0..1;

let keyed = chromakey(fg, color: key, tolerance: tolerance, softness: 0.1, spill: 0.6);
output over(keyed, bg);
