import Foundation
import LabStore

/// Charts drawn on the server as SVG (no script, no external asset). Every label is escaped.
enum Charts {
    /// Colours for filters, assigned in the order a run's filters first rejected something.
    static let palette = ["#c0504d", "#e08a2e", "#8064a2", "#4bacc6", "#9b7b5b", "#d4569a", "#7f7f7f", "#b8a31f",
                          "#3d6fb0", "#a05050", "#5f9ea0", "#c07830", "#6b8e23", "#996699", "#cc6666"]
    static let acceptedColour = "#3c8d40"
    static let barColour = "#4b79a1"
    static let thresholdColour = "#c0504d"

    /// One stacked bar per leaf: rejections by first rejecting filter, then the accepted part; each
    /// leaf's row links to its samples. Bars share one scale (the largest leaf's candidates).
    static func funnel(runID: Int64, bars: [LeafFunnelBar]) -> String {
        let filters = orderedFilters(bars)
        let labelWidth = 360.0, barWidth = 440.0, countWidth = 90.0, rowHeight = 24.0, top = 8.0
        let legendRows = Int((Double(filters.count + 1) / 4).rounded(.up))
        let height = top + Double(bars.count) * rowHeight + 12 + Double(legendRows) * 18
        let width = labelWidth + barWidth + countWidth
        let largest = Double(max(bars.map(\.candidates).max() ?? 1, 1))
        var svg = #"<svg class="funnel" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \#(Int(width)) \#(Int(height))" width="\#(Int(width))" height="\#(Int(height))" role="img" aria-label="per-leaf funnel of run \#(runID)">"#
        for (row, bar) in bars.enumerated() {
            let y = top + Double(row) * rowHeight
            let link = "/runs/\(runID)/samples?leaf=\(HTMLText.queryComponent(bar.leaf))"
            svg += #"<a href="\#(HTMLText.escape(link))"><g class="leaf-row" data-leaf="\#(HTMLText.escape(bar.leaf))">"#
            svg += #"<text x="\#(labelWidth - 8)" y="\#(y + 15)" text-anchor="end">\#(HTMLText.escape(shortLeaf(bar.leaf)))</text>"#
            var x = labelWidth
            for part in bar.rejections {
                let w = barWidth * Double(part.count) / largest
                let colour = palette[(filters.firstIndex(of: part.filter) ?? 0) % palette.count]
                svg += #"<rect x="\#(format(x))" y="\#(y + 3)" width="\#(format(w))" height="\#(rowHeight - 6)" fill="\#(colour)"><title>\#(HTMLText.escape(part.filter)): \#(part.count) rejected</title></rect>"#
                x += w
            }
            let w = barWidth * Double(bar.accepted) / largest
            svg += #"<rect x="\#(format(x))" y="\#(y + 3)" width="\#(format(w))" height="\#(rowHeight - 6)" fill="\#(acceptedColour)"><title>accepted: \#(bar.accepted)</title></rect>"#
            svg += #"<text x="\#(labelWidth + barWidth + 6)" y="\#(y + 15)">\#(bar.accepted) / \#(bar.candidates)</text></g></a>"#
        }
        let legend = [("accepted", acceptedColour)] + filters.enumerated().map { ($0.element, palette[$0.offset % palette.count]) }
        for (index, item) in legend.enumerated() {
            let x = 10 + Double(index % 4) * 220, y = top + Double(bars.count) * rowHeight + 14 + Double(index / 4) * 18
            svg += #"<rect x="\#(format(x))" y="\#(format(y - 10))" width="12" height="12" fill="\#(item.1)"/>"#
            svg += #"<text x="\#(format(x + 18))" y="\#(format(y))">\#(HTMLText.escape(index == 0 ? item.0 : "rejected by " + item.0))</text>"#
        }
        return svg + "</svg>"
    }

    /// A small histogram of one filter's scores, with its threshold marked.
    static func histogram(_ histogram: ScoreHistogram) -> String {
        let width = 240.0, height = 90.0, plotHeight = 60.0, top = 6.0
        let tallest = Double(max(histogram.counts.max() ?? 1, 1))
        let binWidth = width / Double(max(histogram.counts.count, 1))
        var svg = #"<svg class="histogram" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \#(Int(width)) \#(Int(height))" width="\#(Int(width))" height="\#(Int(height))" role="img" aria-label="scores of \#(HTMLText.escape(histogram.filter))">"#
        for (index, count) in histogram.counts.enumerated() where count > 0 {
            let h = plotHeight * Double(count) / tallest
            svg += #"<rect x="\#(format(Double(index) * binWidth + 1))" y="\#(format(top + plotHeight - h))" width="\#(format(binWidth - 2))" height="\#(format(h))" fill="\#(barColour)"><title>\#(count)</title></rect>"#
        }
        if let threshold = histogram.threshold, histogram.high > histogram.low, (histogram.low...histogram.high).contains(threshold) {
            let x = width * (threshold - histogram.low) / (histogram.high - histogram.low)
            svg += #"<line x1="\#(format(x))" x2="\#(format(x))" y1="\#(top)" y2="\#(top + plotHeight)" stroke="\#(thresholdColour)" stroke-dasharray="3 2"><title>threshold \#(format(threshold))</title></line>"#
        }
        svg += #"<text x="0" y="\#(Int(height - 8))">\#(format(histogram.low))</text>"#
        svg += #"<text x="\#(Int(width))" y="\#(Int(height - 8))" text-anchor="end">\#(format(histogram.high))</text>"#
        return svg + "</svg>"
    }

    static func orderedFilters(_ bars: [LeafFunnelBar]) -> [String] {
        var seen: [String] = []
        for bar in bars { for part in bar.rejections where !seen.contains(part.filter) { seen.append(part.filter) } }
        return seen
    }

    /// The last three parts of a taxonomy path, which tell leaves apart.
    static func shortLeaf(_ path: String) -> String {
        let parts = path.components(separatedBy: "->")
        return parts.count > 3 ? "…/" + parts.suffix(3).joined(separator: "/") : parts.joined(separator: "/")
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e9 ? String(Int(value)) : String(format: "%.2f", value)
    }
}
