#!/bin/sh
# Writes a small seed corpus for the fuzz targets with ffmpeg:
#   corpus/jpeg_decode/      tiny JPEGs (ffmpeg, and cjpeg when installed):
#                            every common sampling, greyscale,
#                            restart markers, odd sizes
#   corpus/container_parse/  a selector byte (0 Y4M, 1 MJPEG, 2 AVI) and a
#                            tiny stream of that kind
#   corpus/mpeg4_decode/     a selector byte (0: raw) and an ffmpeg .m4v
#                            (plain, video packets with data partitioning,
#                            MPEG quantisation, four vectors, B-VOPs), and
#                            a few settings for the encoded mode (1)
# Run from anywhere; the corpus directory is git-ignored.
set -eu
cd "$(dirname "$0")"
jpeg=corpus/jpeg_decode
cont=corpus/container_parse
m4v=corpus/mpeg4_decode
mkdir -p "$jpeg" "$cont" "$m4v"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }
# testsrc2 refuses tiny sizes, so draw at 64x64 and scale.
src() { echo "testsrc2=size=64x64:rate=25:duration=$2,scale=${1%x*}:${1#*x}"; }

# JPEG from ffmpeg: size, pixel format, extra encoder options. Two slices
# on two threads make ffmpeg write restart markers.
n=0
for spec in \
    "16x16 yuvj444p" "16x16 yuvj422p" "16x16 yuvj420p" "9x7 yuvj420p" \
    "17x33 yuvj422p" "1x1 yuvj444p" "16x16 yuvj420p -q:v 1" "16x16 yuvj444p -q:v 31" \
    "48x32 yuvj420p -threads 2 -slices 2" "40x24 yuvj422p -threads 2 -slices 2"
do
    set -- $spec
    size=$1 pix=$2
    shift 2
    n=$((n + 1))
    ff -f lavfi -i "$(src "$size" 0.04)" -frames:v 1 -pix_fmt "$pix" \
        -c:v mjpeg -strict -1 "$@" "$jpeg/ffmpeg$n.jpg"
done

# JPEG from cjpeg, for what ffmpeg's encoder cannot write: greyscale,
# 4:4:0 and 4:1:1, a restart marker every MCU, optimized tables, 16-bit
# quantization tables (SOF1).
if command -v cjpeg >/dev/null; then
    ff -f lavfi -i "$(src 24x16 0.04)" -frames:v 1 "$tmp/in.ppm"
    n=0
    for opts in "-grayscale" "-sample 1x2" "-sample 4x1" "-restart 1B -sample 2x2" \
        "-grayscale -restart 1" "-optimize -sample 2x1" "-quality 100 -baseline"
    do
        n=$((n + 1))
        # shellcheck disable=SC2086 # options are words on purpose
        cjpeg $opts -outfile "$jpeg/cjpeg$n.jpg" "$tmp/in.ppm"
    done
    # cjpeg warns that these tables are "too coarse for baseline": wanted.
    cjpeg -quality 1 -outfile "$jpeg/cjpeg-sof1.jpg" "$tmp/in.ppm" 2>/dev/null
fi

# Y4M, MJPEG and AVI, three frames each, behind their selector byte.
ff -f lavfi -i "$(src 8x6 0.12)" -pix_fmt yuv420p "$tmp/a.y4m"
ff -f lavfi -i "$(src 8x6 0.12)" -pix_fmt yuv444p "$tmp/b.y4m"
ff -f lavfi -i "$(src 16x8 0.12)" -pix_fmt yuvj420p -c:v mjpeg -f mjpeg "$tmp/c.mjpeg"
ff -f lavfi -i "$(src 16x8 0.12)" -pix_fmt yuvj422p -c:v mjpeg "$tmp/d.avi"
ff -f lavfi -i "$(src 16x8 0.12)" -f lavfi -i "sine=sample_rate=8000:duration=0.12" \
    -pix_fmt yuvj420p -c:v mjpeg -c:a pcm_u8 "$tmp/e.avi"
for f in a.y4m:0 b.y4m:0 c.mjpeg:1 d.avi:2 e.avi:2; do
    name=${f%:*} sel=${f#*:}
    { printf "\\$(printf %03o "$sel")"; cat "$tmp/$name"; } > "$cont/$name"
done
# MPEG-4 Part 2 elementary streams, five frames each, behind the raw
# mode's selector byte 0. testsrc2 at 3 frames/s moves enough for ffmpeg
# to pick four vectors in a few macroblocks.
n=0
for spec in \
    "25" "25 -ps 300 -data_partitioning 1" "25 -mpeg_quant 1" \
    "3 -flags +mv4 -cmp sad -subcmp sad -mbcmp sad" "25 -bf 1" "25 -q:v 2 -g 3"
do
    set -- $spec
    rate=$1
    shift
    n=$((n + 1))
    ff -f lavfi -i "testsrc2=size=64x48:rate=$rate" -frames:v 5 -c:v mpeg4 "$@" \
        -f m4v "$tmp/s$n.m4v"
    { printf '\000'; cat "$tmp/s$n.m4v"; } > "$m4v/ffmpeg$n.m4v"
done
# The encoded mode: selector 1, then size, flags, qp, GOP/frames/search,
# packet size, corruption, placement (see fuzz_targets/mpeg4_decode.rs),
# then content bytes.
n=0
for head in '\001\030\020\000\004\016\000\000\000' \
    '\001\011\007\033\010\176\040\000\000' \
    '\001\030\030\045\020\056\003\000\000' \
    '\001\001\002\377\200\377\000\023\007'
do
    n=$((n + 1))
    { printf "$head"; head -c 300 "$tmp/s1.m4v"; } > "$m4v/encoded$n"
done
echo "seeded $(ls "$jpeg" | wc -l) JPEGs in $jpeg, $(ls "$cont" | wc -l) streams in $cont" \
    "and $(ls "$m4v" | wc -l) inputs in $m4v"
