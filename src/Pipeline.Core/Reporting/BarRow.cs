namespace Pipeline.Reporting;

/// <summary>One row of a horizontal bar chart: untrusted label (encoded when drawn), today's value, an optional baseline marker.</summary>
internal sealed record BarRow(string Label, long Value, double? Marker, bool Highlight);
