"""PyTorch side: blocks become ``nn.Module``s, graphs become ``torch.fx.GraphModule``s."""
