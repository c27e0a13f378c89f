/* The updates-per-hour chart: inline SVG drawn on the server (bars of
 * applied and failed attempts, hour ticks every 6 hours), so the page needs
 * no script and no image request.  Colours come from classes in
 * admin.css; the SVG has no style attribute, which the CSP would refuse. */
#include "admin_priv.h"

#include <time.h>

#define CHART_W 960
#define CHART_H 240
#define CHART_LEFT 48
#define CHART_BOTTOM 28
#define CHART_TOP 12

void admin_chart(ahtml_t *b, int64_t since, int hours, const uint32_t *counts,
                 const uint32_t *failed)
{
	uint32_t max = 1;
	for (int i = 0; i < hours; i++)
		if (counts[i] > max)
			max = counts[i];
	const int plot_w = CHART_W - CHART_LEFT - 8;
	const int plot_h = CHART_H - CHART_BOTTOM - CHART_TOP;
	const double bar_w = (double)plot_w / hours;
	ah_fmt(b, "<svg id=\"chart\" class=\"chart\" viewBox=\"0 0 %d %d\" role=\"img\" "
	          "aria-labelledby=\"chart-title\" xmlns=\"http://www.w3.org/2000/svg\">"
	          "<title id=\"chart-title\">Updates per hour (UTC)</title>\n", CHART_W, CHART_H);
	/* the axis and its top value */
	ah_fmt(b, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>",
	       CHART_LEFT, CHART_H - CHART_BOTTOM, CHART_W - 8, CHART_H - CHART_BOTTOM);
	ah_fmt(b, "<text class=\"label\" x=\"%d\" y=\"%d\" text-anchor=\"end\">%u</text>",
	       CHART_LEFT - 6, CHART_TOP + 10, max);
	ah_fmt(b, "<text class=\"label\" x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>\n",
	       CHART_LEFT - 6, CHART_H - CHART_BOTTOM);
	for (int i = 0; i < hours; i++) {
		double x = CHART_LEFT + i * bar_w + 1;
		double h_all = (double)counts[i] * plot_h / max;
		double h_bad = (double)failed[i] * plot_h / max;
		double base = CHART_H - CHART_BOTTOM;
		time_t t = (time_t)(since + (int64_t)i * 3600);
		struct tm tm;
		gmtime_r(&t, &tm);
		if (counts[i] > 0) {
			ah_fmt(b, "<rect class=\"applied\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			          "height=\"%.1f\"><title>%02d:00 UTC: %u updates, %u failed"
			          "</title></rect>",
			       x, base - h_all, bar_w - 2, h_all - h_bad, tm.tm_hour, counts[i],
			       failed[i]);
			if (failed[i] > 0)
				ah_fmt(b, "<rect class=\"failed\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
				          "height=\"%.1f\"/>", x, base - h_bad, bar_w - 2, h_bad);
		}
		if (tm.tm_hour % 6 == 0)
			ah_fmt(b, "<text class=\"label\" x=\"%.1f\" y=\"%d\">%02d:00</text>",
			       x, CHART_H - 8, tm.tm_hour);
		ah_raw(b, "\n");
	}
	ah_raw(b, "</svg>\n<p class=\"legend\"><span class=\"key applied\"></span> applied "
	          "<span class=\"key failed\"></span> failed</p>\n");
}
