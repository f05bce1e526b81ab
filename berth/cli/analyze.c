/* berth analyze: the boot timeline (DESIGN.md section 7) as a blame list in
 * the manner of systemd-analyze, or as an SVG chart for a browser. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth.h"
#include "cli.h"
#include "events.h"

#define TIMELINE_PATH "/run/berth/timeline"
#define NAME_WIDTH_MAX 32    /* a long unknown event must not push every row right */

/* the chart: pixels, at 12px sans-serif */
#define SVG_PX_PER_S 600
#define SVG_CHART_MIN 480
#define SVG_CHART_MAX 1600
#define SVG_MARGIN 20
#define SVG_TOP 84
#define SVG_ROW 22
#define SVG_BAR 16
#define SVG_BOTTOM 36
#define SVG_CHAR_PX 7 /* a generous average glyph width, to place labels */
#define SVG_TICKS_MAX 10
#define SVG_TICK_PX_MIN 50

/* the interval that ends at an event; the first one starts at boot */
struct phase {
	long long start, end;
	const char *name, *from, *to;
	const char *fill;
};

/* seconds with three decimals: phases and times are whole milliseconds */
static const char *seconds(char buf[32], long long ms)
{
	const char *sign = ms < 0 ? "-" : "";

	if (ms < 0)
		ms = -ms;
	snprintf(buf, 32, "%s%lld.%03llds", sign, ms / 1000, ms % 1000);
	return buf;
}

static int is_container(const char *name)
{
	size_t len = strlen(name);

	return strncmp(name, "container ", 10) == 0 && len > 18 &&
	       strcmp(name + len - 8, " started") == 0;
}

/* phase i ends at event i; phase 0 is the kernel's, from boot to the first */
static void phases_build(const struct events *t, struct phase *ph)
{
	const struct event *ready = events_find(t, "ready");

	for (size_t i = 0; i < t->n; i++) {
		struct phase *p = &ph[i];

		p->end = t->ev[i].ms;
		p->to = t->ev[i].name;
		if (i == 0) {
			p->start = 0;
			p->name = "kernel";
			p->from = "kernel start";
			p->fill = "#b8b8b8";
			continue;
		}
		p->start = t->ev[i - 1].ms;
		p->name = t->ev[i].name;
		p->from = t->ev[i - 1].name;
		if (ready && &t->ev[i] > ready)
			p->fill = "#f2b872";
		else if (is_container(p->name))
			p->fill = "#8fd18f";
		else
			p->fill = "#86b8e6";
	}
}

/* "boot: ..." without the newline: the text summary and the chart's title */
static void boot_summary(const struct events *t, char *buf, size_t size)
{
	const struct event *init = events_find(t, "init start");
	const struct event *ready = events_find(t, "ready");
	const struct event *last = &t->ev[t->n - 1];
	char a[32], b[32], c[32];

	if (!ready)
		snprintf(buf, size, "boot: not ready yet (last event \"%s\" at %s)", last->name,
			 seconds(a, last->ms));
	else if (!init)
		snprintf(buf, size, "boot: %s to ready (no \"init start\" event)", seconds(a, ready->ms));
	else
		snprintf(buf, size, "boot: %s to ready (kernel %s + userspace %s)", seconds(a, ready->ms),
			 seconds(b, init->ms), seconds(c, ready->ms - init->ms));
}

/* slowest first; equal ones in the order they happened */
static int blame_cmp(const void *a, const void *b)
{
	const struct phase *x = *(const struct phase *const *)a, *y = *(const struct phase *const *)b;
	long long dx = x->end - x->start, dy = y->end - y->start;

	if (dx != dy)
		return dx > dy ? -1 : 1;
	return x < y ? -1 : x > y;
}

static int text_print(const struct events *t, struct phase *ph)
{
	const struct phase **order = calloc(t->n, sizeof *order);
	int dur_w = 9, at_w = 0, name_w = 0;
	char summary[512], a[32], b[32];

	if (!order)
		die_errno(EXIT_SYSTEM, "memory");
	for (size_t i = 0; i < t->n; i++) {
		int len;

		order[i] = &ph[i];
		len = (int)strlen(seconds(a, ph[i].end - ph[i].start));
		if (len > dur_w)
			dur_w = len;
		len = (int)strlen(seconds(a, ph[i].start));
		if (len > at_w)
			at_w = len;
		len = (int)strlen(ph[i].name);
		if (len > name_w)
			name_w = len > NAME_WIDTH_MAX ? NAME_WIDTH_MAX : len;
	}
	qsort(order, t->n, sizeof *order, blame_cmp);
	boot_summary(t, summary, sizeof summary);
	printf("%s\n", summary);
	for (size_t i = 0; i < t->n; i++) {
		const struct phase *p = order[i];

		printf("%*s  at %-*s  %-*s  (%s \xe2\x86\x92 %s)\n", dur_w, seconds(a, p->end - p->start),
		       at_w, seconds(b, p->start), name_w, p->name, p->from, p->to);
	}
	free(order);
	return 0;
}

static void xml_puts(const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", stdout); break;
		case '<': fputs("&lt;", stdout); break;
		case '>': fputs("&gt;", stdout); break;
		case '"': fputs("&quot;", stdout); break;
		case '\'': fputs("&apos;", stdout); break;
		default: putchar(*s);
		}
	}
}

/* a tick label: "2s", "0.5s", "0.05s" */
static const char *tick_label(char buf[32], long long ms)
{
	char *end;

	seconds(buf, ms);
	end = buf + strlen(buf) - 1; /* the 's' */
	while (end[-1] == '0')
		end--;
	if (end[-1] == '.')
		end--;
	strcpy(end, "s");
	return buf;
}

/* 1, 2, 5 times a power of ten: at most SVG_TICKS_MAX ticks, far enough apart */
static long long tick_step(long long total_ms, double px_per_ms)
{
	static const int mult[] = { 1, 2, 5 };
	long long pow10 = 1;

	for (;;) {
		for (size_t i = 0; i < 3; i++) {
			long long step = mult[i] * pow10;

			if (total_ms / step <= SVG_TICKS_MAX && (double)step * px_per_ms >= SVG_TICK_PX_MIN)
				return step;
		}
		pow10 *= 10;
	}
}

static void svg_axis(long long total_ms, double px_per_ms, int rows_y, int rows_h)
{
	long long step = tick_step(total_ms, px_per_ms);
	char buf[32];

	printf("<g class=\"axis\" fill=\"#555555\" text-anchor=\"middle\">\n");
	for (long long ms = 0; ms <= total_ms; ms += step) {
		double x = SVG_MARGIN + (double)ms * px_per_ms;

		printf("<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#dddddd\"/>\n", x,
		       rows_y - 6, x, rows_y + rows_h + 2);
		printf("<text x=\"%.1f\" y=\"%d\">%s</text>\n", x, rows_y - 10, tick_label(buf, ms));
		printf("<text x=\"%.1f\" y=\"%d\">%s</text>\n", x, rows_y + rows_h + 16, buf);
	}
	printf("</g>\n");
}

/* the label goes inside a wide bar, else right of it, else left of it */
static void svg_bar(const struct phase *p, int row_y, double px_per_ms, int chart_right)
{
	char dur[32];
	double x = SVG_MARGIN + (double)p->start * px_per_ms;
	double w = (double)(p->end - p->start) * px_per_ms;
	double text_w;
	const char *anchor = "start";
	double tx;

	seconds(dur, p->end - p->start);
	text_w = (double)((strlen(p->name) + 1 + strlen(dur)) * SVG_CHAR_PX);
	if (w < 1)
		w = 1; /* an instant still shows */
	if (w >= text_w + 8) {
		tx = x + 4;
	} else if (x + w + 4 + text_w <= chart_right) {
		tx = x + w + 4;
	} else if (x - 4 - text_w >= 0) {
		tx = x - 4;
		anchor = "end";
	} else {
		tx = x + 4;
	}
	printf("<g>\n<rect class=\"phase\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\">"
	       "<title>",
	       x, row_y, w, SVG_BAR, p->fill);
	xml_puts(p->name);
	printf(": %s (", dur);
	xml_puts(p->from);
	printf(" &#8594; ");
	xml_puts(p->to);
	printf(")</title></rect>\n");
	printf("<text x=\"%.1f\" y=\"%d\" text-anchor=\"%s\">", tx, row_y + SVG_BAR - 4, anchor);
	xml_puts(p->name);
	printf(" %s</text>\n</g>\n", dur);
}

static int svg_print(const struct events *t, const struct phase *ph)
{
	const struct event *ready = events_find(t, "ready");
	long long total_ms = t->ev[t->n - 1].ms;
	double chart_w, px_per_ms;
	int width, height, rows_h = (int)t->n * SVG_ROW;
	char summary[512];

	if (total_ms < 1)
		total_ms = 1;
	chart_w = (double)total_ms * SVG_PX_PER_S / 1000;
	if (chart_w < SVG_CHART_MIN)
		chart_w = SVG_CHART_MIN;
	if (chart_w > SVG_CHART_MAX)
		chart_w = SVG_CHART_MAX;
	px_per_ms = chart_w / (double)total_ms;
	width = 2 * SVG_MARGIN + (int)chart_w;
	height = SVG_TOP + rows_h + SVG_BOTTOM;
	boot_summary(t, summary, sizeof summary);

	printf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	printf("<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%d\" "
	       "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n",
	       width, height, width, height);
	printf("<title>Berth boot timeline</title>\n");
	printf("<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n");
	printf("<text class=\"title\" x=\"%d\" y=\"28\" font-size=\"16\" font-weight=\"bold\">Berth ",
	       SVG_MARGIN);
	xml_puts(summary);
	printf("</text>\n");
	printf("<text x=\"%d\" y=\"48\" fill=\"#555555\">%zu event%s in ", SVG_MARGIN, t->n,
	       t->n == 1 ? "" : "s");
	xml_puts(t->path);
	printf("; time in seconds since the kernel started</text>\n");
	svg_axis(total_ms, px_per_ms, SVG_TOP, rows_h);
	if (ready) {
		double x = SVG_MARGIN + (double)ready->ms * px_per_ms;

		printf("<line class=\"ready\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#2a7a2a\" "
		       "stroke-dasharray=\"4 3\"><title>ready</title></line>\n",
		       x, SVG_TOP - 6, x, SVG_TOP + rows_h + 2);
	}
	for (size_t i = 0; i < t->n; i++)
		svg_bar(&ph[i], SVG_TOP + (int)i * SVG_ROW + (SVG_ROW - SVG_BAR) / 2, px_per_ms,
			SVG_MARGIN + (int)chart_w);
	printf("</svg>\n");
	return 0;
}

int cmd_analyze(int argc, char **argv)
{
	struct events t = { .path = TIMELINE_PATH };
	struct phase *ph;
	int svg = 0, r;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--svg") == 0)
			svg = 1;
		else if (strcmp(argv[i], "--timeline") == 0 && i + 1 < argc)
			t.path = argv[++i];
		else if (strncmp(argv[i], "--timeline=", 11) == 0)
			t.path = argv[i] + 11;
		else if (strcmp(argv[i], "--timeline") == 0)
			usage_error(argv[0], "--timeline needs a FILE");
		else
			usage_error(argv[0], "unknown argument \"%s\"", argv[i]);
	}
	if (*t.path == '\0')
		usage_error(argv[0], "--timeline needs a FILE");
	if (events_read(&t) != 0)
		die_errno(EXIT_SYSTEM, "%s", t.path);
	if (events_parse(&t) != 0)
		die_errno(EXIT_SYSTEM, "%s", t.path);
	if (t.cut_bytes)
		warn("%s: larger than %d bytes; only the lines before that are read", t.path, EVENTS_MAX_BYTES);
	if (t.cut_lines)
		warn("%s: longer than %d lines; only the first %d are read", t.path, EVENTS_MAX_LINES,
		     EVENTS_MAX_LINES);
	if (t.malformed)
		warn("%s: ignored %u malformed line%s (the first is line %u); expected \"berth[SECONDS.mmm]: EVENT\"",
		     t.path, t.malformed, t.malformed == 1 ? "" : "s", t.first_malformed);
	if (t.n == 0)
		die(1, "%s: no events", t.path);
	ph = calloc(t.n, sizeof *ph);
	if (!ph)
		die_errno(EXIT_SYSTEM, "memory");
	phases_build(&t, ph);
	r = svg ? svg_print(&t, ph) : text_print(&t, ph);
	free(ph);
	events_free(&t);
	return r;
}
