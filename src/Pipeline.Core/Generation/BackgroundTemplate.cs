namespace Pipeline.Generation;

/// <summary>A non-KMS API call the background traffic is made of.</summary>
internal readonly record struct BackgroundTemplate(string Source, string Name, bool ReadOnly, int Weight, string? ApiVersion = null, bool GlobalOnly = false)
{
    /// <summary>IAM action named in AccessDenied messages, e.g. <c>ec2:DescribeInstances</c>.</summary>
    public string Action => string.Concat(Source.AsSpan(0, Source.IndexOf('.', StringComparison.Ordinal)), ":", Name);

    public string Host(string region) => GlobalOnly ? Source : $"{Source.Replace(".amazonaws.com", "", StringComparison.Ordinal)}.{region}.amazonaws.com";
}
