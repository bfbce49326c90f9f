package wire

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// Layout of the picture, in pixels. The text is large enough to read when the
// picture is projected in front of a class.
const (
	margin   = 30
	colWidth = 440
	colGap   = 150
	rowH     = 84
	boxH     = 74
	titleH   = 44
	headH    = 40
	width    = 2*margin + 3*colWidth + 2*colGap
)

var colX = [3]int{margin, margin + colWidth + colGap, margin + 2*(colWidth+colGap)}

// WriteSVG draws the pictures one under another, with title, as one SVG image.
// Text that changes from run to run (the times) is in elements of class "t".
func WriteSVG(w io.Writer, title string, pics []Picture) error {
	var b strings.Builder
	y := margin
	var body strings.Builder
	for _, line := range strings.SplitN(title, "\n", 2) {
		fmt.Fprintf(&body, `<text x="%d" y="%d" class="h1">%s</text>`+"\n", margin, y+26, esc(line))
		y += titleH - 6
	}
	y += 16
	for _, p := range pics {
		y = drawPicture(&body, p, y) + 30
	}
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d">`+"\n", width, y, width, y)
	b.WriteString(`<style>
text { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 19px; fill: #222; }
.h1 { font-size: 28px; font-weight: bold; }
.h2 { font-size: 23px; font-weight: bold; }
.head { font-size: 21px; font-weight: bold; fill: #444; }
.mono { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: 19px; }
.t { font-size: 16px; fill: #555; }
.sum { font-size: 20px; }
.write { fill: #dbe9fb; stroke: #2f6db5; stroke-width: 2; }
.read { fill: #dcf3dd; stroke: #2e8b3a; stroke-width: 2; }
.data, .udp { fill: #f1f1f1; stroke: #555; stroke-width: 2; }
.ack { fill: #fde6c8; stroke: #c46a00; stroke-width: 2; stroke-dasharray: 7 4; }
.gap { fill: #ffffff; stroke: #999; stroke-width: 1.5; stroke-dasharray: 3 4; }
.l0 { stroke: #2f6db5; stroke-width: 2.5; fill: none; }
.l1 { stroke: #2e8b3a; stroke-width: 2.5; fill: none; }
.d0 { fill: #2f6db5; }
.d1 { fill: #2e8b3a; }
</style>
<rect width="100%" height="100%" fill="white"/>
`)
	b.WriteString(body.String())
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// drawPicture draws p with its top at y and returns the y below it.
func drawPicture(b *strings.Builder, p Picture, y int) int {
	fmt.Fprintf(b, `<text x="%d" y="%d" class="h2">%s</text>`+"\n", margin, y+24, esc(p.Title))
	y += titleH
	heads := [3]string{"the writer's writes", "on the wire", "the reader's reads"}
	if len(p.Segments) > 0 && p.Segments[0].Kind == "udp" {
		heads[1] = "on the wire (UDP datagrams)"
	} else {
		heads[1] = "on the wire (TCP segments with data)"
	}
	for i, h := range heads {
		fmt.Fprintf(b, `<text x="%d" y="%d" class="head">%s</text>`+"\n", colX[i], y+24, esc(h))
	}
	y += headH
	cols := [3][]Box{p.Writes, p.Segments, p.Reads}
	rows := 0
	for _, c := range cols {
		rows = max(rows, len(c))
	}
	mid := func(col, row int) int { return y + row*rowH + boxH/2 }
	for _, l := range p.Links {
		x1 := colX[l.Col] + colWidth
		x2 := colX[l.Col+1]
		y1, y2 := mid(l.Col, l.From), mid(l.Col+1, l.To)
		fmt.Fprintf(b, `<path class="l%d" d="M%d,%d C%d,%d %d,%d %d,%d"/>`+"\n",
			l.Col, x1, y1, x1+colGap/2, y1, x2-colGap/2, y2, x2, y2)
		fmt.Fprintf(b, `<circle cx="%d" cy="%d" r="5" class="d%d"/>`+"\n", x2, y2, l.Col)
	}
	for i, c := range cols {
		for r, box := range c {
			top := y + r*rowH
			fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" rx="8" class="%s"/>`+"\n", colX[i], top, colWidth, boxH, box.Kind)
			fmt.Fprintf(b, `<text x="%d" y="%d">%s</text>`+"\n", colX[i]+12, top+24, esc(box.Label))
			if box.Bytes != "" {
				fmt.Fprintf(b, `<text x="%d" y="%d" class="mono">%s</text>`+"\n", colX[i]+12, top+47, esc(box.Bytes))
			}
			if box.Time != "" {
				fmt.Fprintf(b, `<text x="%d" y="%d" class="t">%s</text>`+"\n", colX[i]+12, top+67, esc(box.Time))
			}
		}
	}
	y += rows*rowH + 6
	for _, s := range p.Summary {
		fmt.Fprintf(b, `<text x="%d" y="%d" class="sum">⇒ %s</text>`+"\n", margin, y+22, esc(s))
		y += 30
	}
	return y
}

func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}
