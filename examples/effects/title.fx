# A lower-third caption that slides up into place during the first half
# second, on a translucent black box. The text is a live parameter.
input a;
param label = "Breaking news";
param color = #ffffff;

let rise = 40 * (1 - ease_out(ramp(0, 0.5)));
output title(a, text: label, size: 48, color: color, x: 40, y: 600 + rise, box: #00000080);
